package dev.raftflow.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/** A self-contained HTML page with SVG line charts: no scripts, no external resources. */
final class HtmlReport {

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

  /** A chart of one or more series over the run's seconds. */
  @SafeVarargs
  final HtmlReport timeChart(String heading, String yLabel, List<Sample> samples, Series<Sample>... series) {
    double[] xs = samples.stream().mapToDouble(Sample::second).toArray();
    return chart(heading, "second", yLabel, xs, samples, series);
  }

  @SafeVarargs
  final <T> HtmlReport chart(String heading, String xLabel, String yLabel, double[] xs, List<T> points, Series<T>... series) {
    final int w = 720;
    final int h = 300;
    final int left = 70;
    final int right = 20;
    final int top = 20;
    final int bottom = 40;
    double xMin = xs.length == 0 ? 0 : xs[0];
    double xMax = xs.length == 0 ? 1 : xs[xs.length - 1];
    if (xMax <= xMin) {
      xMax = xMin + 1;
    }
    double yMax = 0;
    for (Series<T> s : series) {
      for (T p : points) {
        yMax = Math.max(yMax, s.value.applyAsDouble(p));
      }
    }
    yMax = yMax <= 0 ? 1 : niceCeiling(yMax);
    body.append("<h2>").append(escape(heading)).append("</h2>\n");
    body.append(String.format(Locale.ROOT, "<svg width='%d' height='%d' xmlns='http://www.w3.org/2000/svg' font-family='sans-serif' font-size='11'>%n", w, h));
    body.append(String.format(Locale.ROOT, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#999'/>%n",
        left, top, w - left - right, h - top - bottom));
    for (int i = 0; i <= 4; i++) {
      double v = yMax * i / 4;
      double y = top + (h - top - bottom) * (1 - i / 4.0);
      body.append(String.format(Locale.ROOT, "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#eee'/>"
          + "<text x='%d' y='%.1f' text-anchor='end'>%s</text>%n", left, w - right, y, y, left - 4, y + 4, fmt(v)));
    }
    for (int i = 0; i <= 4; i++) {
      double v = xMin + (xMax - xMin) * i / 4;
      double x = left + (w - left - right) * i / 4.0;
      body.append(String.format(Locale.ROOT, "<text x='%.1f' y='%d' text-anchor='middle'>%s</text>%n", x, h - bottom + 14, fmt(v)));
    }
    body.append(String.format(Locale.ROOT, "<text x='%d' y='%d' text-anchor='middle'>%s</text>%n", (left + w - right) / 2, h - 6, escape(xLabel)));
    body.append(String.format(Locale.ROOT, "<text x='12' y='%d' transform='rotate(-90 12 %d)' text-anchor='middle'>%s</text>%n",
        (top + h - bottom) / 2, (top + h - bottom) / 2, escape(yLabel)));
    int legendY = top + 14;
    for (Series<T> s : series) {
      StringBuilder pts = new StringBuilder();
      for (int i = 0; i < points.size(); i++) {
        double x = left + (w - left - right) * (xs[i] - xMin) / (xMax - xMin);
        double y = top + (h - top - bottom) * (1 - s.value.applyAsDouble(points.get(i)) / yMax);
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      body.append(String.format(Locale.ROOT, "<polyline fill='none' stroke='%s' stroke-width='2' points='%s'/>%n", s.color, pts));
      for (String p : pts.toString().trim().split(" ")) {
        if (!p.isEmpty() && points.size() <= 40) {
          String[] xy = p.split(",");
          body.append(String.format(Locale.ROOT, "<circle cx='%s' cy='%s' r='2.5' fill='%s'/>", xy[0], xy[1], s.color));
        }
      }
      body.append(String.format(Locale.ROOT, "<text x='%d' y='%d' fill='%s'>%s</text>%n", left + 8, legendY, s.color, escape(s.name)));
      legendY += 14;
    }
    body.append("</svg>\n");
    return this;
  }

  void write(Path file) throws IOException {
    String html = "<!doctype html>\n<html><head><meta charset='utf-8'><title>" + escape(title) + "</title>"
        + "<style>body{font-family:sans-serif;margin:2em;max-width:800px}pre{background:#f6f6f6;padding:1em;overflow:auto}</style>"
        + "</head><body>\n<h1>" + escape(title) + "</h1>\n" + body + "</body></html>\n";
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.writeString(file, html, StandardCharsets.UTF_8);
  }

  /** A named series of a chart. */
  record Series<T>(String name, String color, ToDoubleFunction<T> value) {}

  private static double niceCeiling(double v) {
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 2.5, 5, 10}) {
      if (m * p >= v) {
        return m * p;
      }
    }
    return 10 * p;
  }

  private static String fmt(double v) {
    if (v >= 1_000_000) {
      return String.format(Locale.ROOT, "%.1fM", v / 1e6);
    }
    if (v >= 10_000) {
      return String.format(Locale.ROOT, "%.0fk", v / 1e3);
    }
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&#39;");
  }
}
