package ai.ttt.cli.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.Arrays;

/**
 * Median and spread of repeated measurements.
 *
 * @param median the median
 * @param min the smallest
 * @param max the largest
 * @param q1 the first quartile (linear interpolation)
 * @param q3 the third quartile (linear interpolation)
 * @param runs the measurements in the order taken
 */
public record Stats(double median, double min, double max, double q1, double q3, double[] runs) {

    /**
     * Summarises measurements.
     *
     * @param values at least one value
     * @return the summary
     */
    public static Stats of(double... values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no measurements");
        }
        double[] s = values.clone();
        Arrays.sort(s);
        return new Stats(
                quantile(s, 0.5),
                s[0],
                s[s.length - 1],
                quantile(s, 0.25),
                quantile(s, 0.75),
                values.clone());
    }

    /** Linear interpolation between closest ranks of sorted values. */
    static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }

    /**
     * Returns the summary as JSON.
     *
     * @return {@code {median, min, max, q1, q3, runs}}
     */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("median", median);
        o.addProperty("min", min);
        o.addProperty("max", max);
        o.addProperty("q1", q1);
        o.addProperty("q3", q3);
        JsonArray r = new JsonArray();
        for (double v : runs) {
            r.add(v);
        }
        o.add("runs", r);
        return o;
    }

    /**
     * Reads a summary written by {@link #toJson()}.
     *
     * @param o the JSON
     * @return the summary
     */
    public static Stats fromJson(JsonObject o) {
        JsonArray r = o.getAsJsonArray("runs");
        double[] runs = new double[r.size()];
        for (int i = 0; i < runs.length; i++) {
            runs[i] = r.get(i).getAsDouble();
        }
        return of(runs);
    }

    /** {@inheritDoc} */
    @Override
    public boolean equals(Object o) {
        return o instanceof Stats && Arrays.equals(runs, ((Stats) o).runs);
    }

    /** {@inheritDoc} */
    @Override
    public int hashCode() {
        return Arrays.hashCode(runs);
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "Stats" + Arrays.toString(runs);
    }
}
