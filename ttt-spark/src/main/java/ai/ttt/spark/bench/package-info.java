/**
 * The throughput and memory benchmark of ttt-spark ({@link ai.ttt.spark.bench.SparkBench}):
 * documents per second on Spark in local mode against a single-JVM loop, and the peak memory of an
 * executor reading a short and a long document. Results and commands: docs/BENCHMARKS.md.
 */
package ai.ttt.spark.bench;
