package ai.ttt.spark;

import org.apache.spark.sql.SparkSession;

/** A Spark session in local mode for one test class: no UI, loopback only. */
final class LocalSpark {

    private LocalSpark() {}

    /**
     * Starts a local session.
     *
     * @param slots task slots ({@code local[slots]}): tasks that run at once in this JVM
     * @param testClass the test class, for the application name
     * @return the session; stop it in {@code @AfterAll}
     */
    static SparkSession start(int slots, Class<?> testClass) {
        return SparkSession.builder()
                .master("local[" + slots + "]")
                .appName(testClass.getSimpleName())
                .config("spark.ui.enabled", false)
                .config("spark.driver.host", "127.0.0.1")
                .config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", 4)
                .config("spark.ui.showConsoleProgress", false)
                .getOrCreate();
    }
}
