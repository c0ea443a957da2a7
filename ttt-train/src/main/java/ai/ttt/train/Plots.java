package ai.ttt.train;

import ai.ttt.block.io.AtomicWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG line plots (headless), written atomically. */
public final class Plots {

    private Plots() {}

    /**
     * Writes a line plot.
     *
     * @param file the PNG
     * @param title the title
     * @param xLabel x axis label
     * @param yLabel y axis label
     * @param x x values shared by the series
     * @param series name → y values (same length as x)
     * @throws IOException if writing fails
     */
    public static void line(
            Path file,
            String title,
            String xLabel,
            String yLabel,
            double[] x,
            Map<String, double[]> series)
            throws IOException {
        XYChart chart =
                new XYChartBuilder()
                        .width(900)
                        .height(520)
                        .title(title)
                        .xAxisTitle(xLabel)
                        .yAxisTitle(yLabel)
                        .build();
        chart.getStyler().setMarkerSize(0);
        chart.getStyler().setXAxisDecimalPattern("#,###");
        for (Map.Entry<String, double[]> e : series.entrySet()) {
            XYSeries s = chart.addSeries(e.getKey(), x, e.getValue());
            s.setMarker(SeriesMarkers.NONE);
        }
        AtomicWriter.writeBytes(
                file, BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG));
    }

    /**
     * Draws a training run's {@code loss.csv} as {@code loss.png} (loss against tokens seen).
     *
     * @param csv the curve
     * @param png the plot
     * @throws IOException if reading or writing fails
     */
    public static void lossCurve(Path csv, Path png) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<double[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            rows.add(new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
        }
        if (rows.isEmpty()) {
            return;
        }
        double[] x = new double[rows.size()];
        double[] y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i)[0];
            y[i] = rows.get(i)[1];
        }
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("outer loss (mean pre-update NLL, nats)", y);
        line(png, "Training loss", "tokens", "loss (nats)", x, series);
    }
}
