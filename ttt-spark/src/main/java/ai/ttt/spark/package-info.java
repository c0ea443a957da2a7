/**
 * TTT-E2E models on Apache Spark: Spark ML {@link org.apache.spark.ml.Transformer}s that score
 * ({@link ai.ttt.spark.TttScorer}) and read-then-continue ({@link ai.ttt.spark.TttGenerator}) the
 * documents of a DataFrame, one model per executor JVM (loaded lazily, shared by the executor's
 * tasks, closed at exit).
 *
 * <p>Every row is read from the start with its own sequence state (its own fast weights), so rows
 * never share state, a partition's rows can run on any executor in any order, and each row's
 * numbers are those of scoring its document alone. A row that cannot be read (null, empty, invalid
 * UTF-8, too many tokens) gets its problem in the error column; it never fails the job.
 */
package ai.ttt.spark;
