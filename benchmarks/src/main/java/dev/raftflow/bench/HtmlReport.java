package dev.raftflow.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/**
 * A self-contained HTML page with SVG line charts: no scripts, no external resources. Charts span
 * the page's width; time axes tick on whole seconds; latency axes can be logarithmic (a p99 a
 * hundred times the p50 stays readable). The page is well-formed XML as well as HTML. Not
 * thread-safe: one thread builds a report.
 */
final class HtmlReport {

  private static final int WIDTH = 1200;
  private static final int HEIGHT = 340;
  private static final int LEFT = 80;
  private static final int RIGHT = 24;
  private static final int TOP = 34;
  private static final int BOTTOM = 44;

  private final StringBuilder body = new StringBuilder();
  private final String title;

  HtmlReport(String title) {
    this.title = title;
  }

  HtmlReport paragraph(String text) {
    body.append("<p>").append(escape(text)).append("</p>\n");
    return this;
  }

  HtmlReport pre(String text) {
    body.append("<pre>").append(escape(text)).append("</pre>\n");
    return this;
  }

  /** A named series of a chart. */
  record Series<T>(String name, String color, ToDoubleFunction<T> value) {}

  /** A chart's axes: the x axis in whole units (seconds) or not, the y axis linear or logarithmic. */
  record Axes(String xLabel, boolean wholeX, String yLabel, boolean logY) {

    static Axes seconds(String yLabel) {
      return new Axes("second", true, yLabel, false);
    }

    static Axes secondsLog(String yLabel) {
      return new Axes("second", true, yLabel + " (log scale)", true);
    }
  }

  /** A chart of one or more series over the run's seconds, on a linear y axis. */
  @SafeVarargs
  final HtmlReport timeChart(String heading, String yLabel, List<Sample> samples, Series<Sample>... series) {
    return chart(heading, Axes.seconds(yLabel), samples, Sample::second, null, series);
  }

  /** A chart of one or more series over the run's seconds, on a logarithmic y axis (latency). */
  @SafeVarargs
  final HtmlReport logTimeChart(String heading, String yLabel, List<Sample> samples, Series<Sample>... series) {
    return chart(heading, Axes.secondsLog(yLabel), samples, Sample::second, null, series);
  }

  /**
   * A chart of {@code points} at x = {@code x(point)}, in the given order; each point is labelled
   * with {@code label(point)} unless {@code label} is null. On a log axis, values of 0 or less leave
   * a gap in their line.
   */
  @SafeVarargs
  final <T> HtmlReport chart(String heading, Axes axes, List<T> points, ToDoubleFunction<T> x, Function<T, String> label,
      Series<T>... series) {
    double[] xs = points.stream().mapToDouble(x).toArray();
    Scale xScale = axes.wholeX ? Scale.whole(min(xs), max(xs)) : Scale.linear(0, Math.max(1, max(xs)));
    List<Double> ys = new ArrayList<>();
    for (Series<T> s : series) {
      for (T p : points) {
        ys.add(s.value.applyAsDouble(p));
      }
    }
    Scale yScale = axes.logY ? Scale.log(ys) : Scale.linear(0, Math.max(1, ys.stream().mapToDouble(Double::doubleValue).max().orElse(1)));
    int plotW = WIDTH - LEFT - RIGHT;
    int plotH = HEIGHT - TOP - BOTTOM;
    body.append("<h2>").append(escape(heading)).append("</h2>\n");
    body.append(String.format(Locale.ROOT, "<svg class='chart' viewBox='0 0 %d %d' width='100%%' preserveAspectRatio='xMinYMin meet' "
        + "xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='13'>%n", WIDTH, HEIGHT));
    body.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>%n", LEFT, TOP, plotW, plotH));
    for (double v : yScale.ticks()) {
      double y = TOP + plotH * (1 - yScale.position(v));
      body.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#e4e4e4'/>"
          + "<text class='y-tick' x='%d' y='%.1f' text-anchor='end'>%s</text>%n", LEFT, WIDTH - RIGHT, y, y, LEFT - 5, y + 4, fmt(v)));
    }
    for (double v : xScale.ticks()) {
      double px = LEFT + plotW * xScale.position(v);
      body.append(String.format(Locale.ROOT, "<line x1='%.1f' x2='%.1f' y1='%d' y2='%d' stroke='#999'/>"
          + "<text class='x-tick' x='%.1f' y='%d' text-anchor='middle'>%s</text>%n", px, px, TOP + plotH, TOP + plotH + 4, px,
          TOP + plotH + 17, fmt(v)));
    }
    body.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>%s</text>%n", LEFT + plotW / 2, HEIGHT - 6,
        escape(axes.xLabel)));
    body.append(String.format(Locale.ROOT, "<text x='16' y='%d' transform='rotate(-90 16 %d)' text-anchor='middle'>%s</text>%n",
        TOP + plotH / 2, TOP + plotH / 2, escape(axes.yLabel)));
    double[] topY = new double[points.size()];
    java.util.Arrays.fill(topY, Double.MAX_VALUE);
    int legendX = LEFT;
    for (Series<T> s : series) {
      List<StringBuilder> lines = new ArrayList<>();
      StringBuilder line = null;
      StringBuilder dots = new StringBuilder();
      for (int i = 0; i < points.size(); i++) {
        double v = s.value.applyAsDouble(points.get(i));
        if (axes.logY && v <= 0) {
          line = null; // a gap: a log axis has no place for 0
          continue;
        }
        double px = LEFT + plotW * xScale.position(xs[i]);
        double py = TOP + plotH * (1 - yScale.position(v));
        topY[i] = Math.min(topY[i], py);
        if (line == null) {
          line = new StringBuilder();
          lines.add(line);
        }
        line.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
        if (points.size() <= 60) {
          dots.append(String.format(Locale.ROOT, "<circle cx='%.1f' cy='%.1f' r='3' fill='%s'/>", px, py, s.color));
        }
      }
      for (StringBuilder l : lines) {
        body.append(String.format(Locale.ROOT, "<polyline class='series' fill='none' stroke='%s' stroke-width='2' points='%s'/>%n",
            s.color, l.toString().trim()));
      }
      body.append(dots).append('\n');
      // the legend runs along the top margin, where no line can cross it
      body.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='14' height='4' fill='%s'/><text class='legend' x='%d' y='%d' fill='%s'>%s</text>%n",
          legendX, TOP - 14, s.color, legendX + 20, TOP - 9, s.color, escape(s.name)));
      legendX += 40 + 8 * s.name.length();
    }
    if (label != null) {
      for (int i = 0; i < points.size(); i++) {
        if (topY[i] != Double.MAX_VALUE) {
          double px = LEFT + plotW * xScale.position(xs[i]);
          String anchor = px < LEFT + 40 ? "start" : px > WIDTH - RIGHT - 40 ? "end" : "middle"; // kept inside the plot
          body.append(String.format(Locale.ROOT, "<text class='point-label' x='%.1f' y='%.1f' text-anchor='%s' fill='#333'>%s</text>%n",
              px, Math.max(TOP + 12, topY[i] - 8), anchor, escape(label.apply(points.get(i)))));
        }
      }
    }
    body.append("</svg>\n");
    return this;
  }

  /** The page as text. */
  String html() {
    return "<!DOCTYPE html>\n<html><head><meta charset='utf-8'/><title>" + escape(title) + "</title>"
        + "<style>body{font-family:sans-serif;margin:1em 2em}pre{background:#f6f6f6;padding:1em;overflow:auto}"
        + "svg.chart{display:block;width:100%;height:auto}</style>"
        + "</head><body>\n<h1>" + escape(title) + "</h1>\n" + body + "</body></html>\n";
  }

  void write(Path file) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.writeString(file, html(), StandardCharsets.UTF_8);
  }

  /** Maps values of one axis to [0, 1] and says where its ticks go. */
  interface Scale {

    double position(double v);

    List<Double> ticks();

    /** From {@code min} to {@code max} widened to round numbers, ticks 1, 2 or 5 × 10^k apart, at most six of them. */
    static Scale linear(double min, double max) {
      double step = roundUp125(Math.max(max - min, 1e-9) / 5);
      double lo = Math.floor(min / step) * step;
      double hi = Math.max(lo + step, Math.ceil(max / step) * step);
      List<Double> ticks = new ArrayList<>();
      for (long i = 0; lo + i * step <= hi * (1 + 1e-9); i++) {
        ticks.add(lo + i * step);
      }
      return of(lo, hi, ticks, false);
    }

    /** Whole numbers from {@code min} to {@code max}, ticks on whole numbers 1, 2 or 5 × 10^k apart, at most 12 of them. */
    static Scale whole(double min, double max) {
      double lo = Math.floor(min);
      double hi = Math.max(lo + 1, Math.ceil(max));
      long step = 1;
      for (long base = 1; (hi - lo) / step > 12; base *= 10) {
        for (long m : new long[] {1, 2, 5}) {
          step = m * base;
          if ((hi - lo) / step <= 12) {
            break;
          }
        }
      }
      List<Double> ticks = new ArrayList<>();
      for (double t = Math.ceil(lo / step) * step; t <= hi; t += step) {
        ticks.add(t);
      }
      return of(lo, hi, ticks, false);
    }

    /**
     * From the 1-2-5 value at or below the smallest positive value to the one at or above the
     * largest; ticks on 1, 2 and 5 × 10^k within at most three decades, on the decades (and the
     * ends) beyond.
     */
    static Scale log(List<Double> values) {
      double min = values.stream().filter(v -> v > 0).mapToDouble(Double::doubleValue).min().orElse(1);
      double max = values.stream().filter(v -> v > 0).mapToDouble(Double::doubleValue).max().orElse(10);
      double lo = roundDown125(min);
      double hi = roundUp125(max);
      if (hi <= lo) {
        hi = roundUp125(lo * 1.5);
      }
      boolean fine = Math.log10(hi / lo) <= 3.01;
      List<Double> ticks = new ArrayList<>();
      for (double decade = Math.pow(10, Math.floor(Math.log10(lo) + 1e-9)); decade <= hi * 1.0001; decade *= 10) {
        for (double m : fine ? new double[] {1, 2, 5} : new double[] {1}) {
          double t = m * decade;
          if (t >= lo * 0.9999 && t <= hi * 1.0001) {
            ticks.add(t);
          }
        }
      }
      if (ticks.isEmpty() || ticks.get(0) > lo * 1.0001) {
        ticks.add(0, lo);
      }
      if (ticks.get(ticks.size() - 1) < hi * 0.9999) {
        ticks.add(hi);
      }
      return of(lo, hi, ticks, true);
    }

    private static Scale of(double lo, double hi, List<Double> ticks, boolean log) {
      return new Scale() {
        @Override
        public double position(double v) {
          return log ? Math.log10(v / lo) / Math.log10(hi / lo) : (v - lo) / (hi - lo);
        }

        @Override
        public List<Double> ticks() {
          return ticks;
        }
      };
    }
  }

  private static double min(double[] xs) {
    return xs.length == 0 ? 0 : java.util.Arrays.stream(xs).min().getAsDouble();
  }

  private static double max(double[] xs) {
    return xs.length == 0 ? 1 : java.util.Arrays.stream(xs).max().getAsDouble();
  }

  /** The smallest of 1, 2, 5 × 10^k at or above {@code v} (positive). */
  static double roundUp125(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= v * 0.9999) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /** The largest of 1, 2, 5 × 10^k at or below {@code v} (positive). */
  static double roundDown125(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {5, 2, 1}) {
      if (m * p <= v * 1.0001) {
        return m * p;
      }
    }
    return p;
  }

  static String fmt(double v) {
    if (v >= 1_000_000) {
      return trim(String.format(Locale.ROOT, "%.1f", v / 1e6)) + "M";
    }
    if (v >= 10_000) {
      return trim(String.format(Locale.ROOT, "%.1f", v / 1e3)) + "k";
    }
    if (v >= 10 || v == Math.rint(v)) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    return trim(String.format(Locale.ROOT, "%.2f", v));
  }

  private static String trim(String s) {
    return s.contains(".") ? s.replaceAll("0+$", "").replaceAll("\\.$", "") : s;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
