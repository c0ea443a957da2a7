/**
 * {@code ttt bench}: prefill and decode latency, peak memory, and engine operation and host
 * synchronisation counts of TTT-E2E, sliding-window and full attention on random weights.
 */
package ai.ttt.cli.bench;
