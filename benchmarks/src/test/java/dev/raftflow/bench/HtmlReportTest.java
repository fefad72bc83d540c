package dev.raftflow.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;

/**
 * The reports' pages, parsed: full width, whole-second ticks, latency on a log scale, labelled sweep
 * points, refused and shed proposals on the overload chart.
 */
class HtmlReportTest {

  /** Seven seconds of an overload: latency spanning three decades, refusals and sheds growing. */
  static List<Sample> samples() {
    List<Sample> s = new ArrayList<>();
    long refused = 0;
    long shed = 0;
    for (int i = 1; i <= 7; i++) {
      refused += 1000 * i;
      shed += 10 * i;
      s.add(new Sample(i, 5000 + i, 40 + i, 4000 + 100 * i, 9000, "n1", 1, 100 * i, 20, 5, 7, refused, shed));
    }
    return s;
  }

  static Document parse(HtmlReport r) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
    return f.newDocumentBuilder().parse(new InputSource(new StringReader(r.html())));
  }

  static List<Element> elements(Element root, String tag, String cls) {
    List<Element> found = new ArrayList<>();
    NodeList all = root.getElementsByTagName(tag);
    for (int i = 0; i < all.getLength(); i++) {
      Element e = (Element) all.item(i);
      if (cls == null || cls.equals(e.getAttribute("class"))) {
        found.add(e);
      }
    }
    return found;
  }

  static List<String> texts(List<Element> es) {
    return es.stream().map(Element::getTextContent).toList();
  }

  @Test
  void chartsSpanThePageAndTickOnWholeSeconds() throws Exception {
    Document d = parse(new HtmlReport("t").timeChart("Throughput", "ops/s", samples(),
        new HtmlReport.Series<>("ops/s", "#000", Sample::ops)));
    assertThat(d.getElementsByTagName("style").item(0).getTextContent()).doesNotContain("max-width")
        .contains("svg.chart{display:block;width:100%");
    Element svg = (Element) d.getElementsByTagName("svg").item(0);
    assertThat(svg.getAttribute("width")).isEqualTo("100%");
    assertThat(svg.getAttribute("viewBox")).isNotEmpty();
    assertThat(texts(elements(svg, "text", "x-tick"))).containsExactly("1", "2", "3", "4", "5", "6", "7");
  }

  @Test
  void linearAxesEndAndTickOnRoundNumbers() {
    assertThat(HtmlReport.Scale.linear(0, 42).ticks()).containsExactly(0.0, 10.0, 20.0, 30.0, 40.0, 50.0);
    assertThat(HtmlReport.Scale.linear(0, 55_141).ticks()).containsExactly(0.0, 20_000.0, 40_000.0, 60_000.0);
    assertThat(HtmlReport.Scale.log(List.of(1500.0, 18_000.0)).ticks())
        .containsExactly(1000.0, 2000.0, 5000.0, 10_000.0, 20_000.0);
    assertThat(HtmlReport.Scale.log(List.of(3.0, 700_000.0)).ticks())
        .containsExactly(2.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0, 1_000_000.0);
  }

  @Test
  void longRunsTickOnRoundWholeSeconds() {
    assertThat(HtmlReport.Scale.whole(1, 95).ticks()).containsExactly(10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0);
    assertThat(HtmlReport.Scale.whole(1, 20).ticks()).containsExactly(2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0);
  }

  @Test
  void latencyIsOnALogScaleWithDecadeTicksEquallySpaced() throws Exception {
    Document d = parse(new HtmlReport("t").logTimeChart("Latency", "microseconds", samples(),
        new HtmlReport.Series<>("p50", "#0a0", Sample::p50us), new HtmlReport.Series<>("p99", "#a00", Sample::p99us)));
    Element svg = (Element) d.getElementsByTagName("svg").item(0);
    List<Element> ticks = elements(svg, "text", "y-tick");
    // p50 41..47 us, p99 4100..4700 us: from 20 to 5000, ticks 1-2-5 apart
    assertThat(texts(ticks)).containsExactly("20", "50", "100", "200", "500", "1000", "2000", "5000");
    assertThat(y(ticks, "50") - y(ticks, "500")).as("a decade is a decade wherever it is")
        .isCloseTo(y(ticks, "100") - y(ticks, "1000"), org.assertj.core.data.Offset.offset(0.2));
    assertThat((y(ticks, "100") - y(ticks, "200")) / (y(ticks, "200") - y(ticks, "500"))).as("log 2 : log 2.5, not 1 : 3")
        .isCloseTo(Math.log(2) / Math.log(2.5), org.assertj.core.data.Offset.offset(0.01));
    assertThat(svg.getTextContent()).contains("microseconds (log scale)");
  }

  @Test
  void aZeroOnALogAxisLeavesAGapInsteadOfFailing() throws Exception {
    List<Sample> s = new ArrayList<>(samples());
    s.set(3, new Sample(4, 0, 0, 0, 0, "-", 0, 0, 20, 0, 0, 0, 0));
    Document d = parse(new HtmlReport("t").logTimeChart("Latency", "us", s, new HtmlReport.Series<>("p50", "#0a0", Sample::p50us)));
    List<Element> lines = elements(d.getDocumentElement(), "polyline", "series");
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0).getAttribute("points").split(" ")).hasSize(3);
    assertThat(lines.get(1).getAttribute("points").split(" ")).hasSize(3);
  }

  @Test
  void sweepPointsAreLabelledWithTheirConcurrency() throws Exception {
    List<SweepCommand.Point> points = List.of(new SweepCommand.Point(1, 900, 1100, 1500, 80),
        new SweepCommand.Point(64, 30000, 2000, 9000, 30), new SweepCommand.Point(1024, 60000, 15000, 90000, 20));
    Document d = parse(SweepCommand.report("3 nodes", points));
    Element svg = (Element) d.getElementsByTagName("svg").item(0);
    assertThat(texts(elements(svg, "text", "point-label"))).containsExactly("c=1", "c=64", "c=1024");
    assertThat(svg.getTextContent()).contains("log scale");
  }

  @Test
  void theOverloadReportChartsRefusedAndShedPerSecond() throws Exception {
    Document d = parse(OverloadCommand.report("3 nodes", samples()));
    Element first = (Element) d.getElementsByTagName("svg").item(0);
    assertThat(texts(elements(first, "text", "legend"))).containsExactly(
        "admitted (acked/s)", "refused by the node (overloaded/s)", "shed by the client (shed/s)");
    assertThat(OverloadCommand.rates(samples())).extracting(OverloadCommand.Rates::refused)
        .containsExactly(1000L, 2000L, 3000L, 4000L, 5000L, 6000L, 7000L);
    assertThat(OverloadCommand.rates(samples())).extracting(OverloadCommand.Rates::shed)
        .containsExactly(10L, 20L, 30L, 40L, 50L, 60L, 70L);
    assertThat(d.getElementsByTagName("svg").getLength()).isEqualTo(4);
  }

  private static double y(List<Element> ticks, String label) {
    return ticks.stream().filter(t -> t.getTextContent().equals(label)).mapToDouble(t -> Double.parseDouble(t.getAttribute("y")))
        .findFirst().orElseThrow();
  }
}
