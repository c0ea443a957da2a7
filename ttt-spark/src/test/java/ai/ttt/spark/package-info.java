/** Tests of ttt-spark: Spark in local mode, the embedded models, nothing downloaded. */
package ai.ttt.spark;
