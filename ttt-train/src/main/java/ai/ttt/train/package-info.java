/**
 * The TTT-E2E meta-learning trainer: the outer loss through the inner test-time-training steps,
 * AdamW with warm-up and cosine decay, data packing, checkpoints that resume exactly.
 */
package ai.ttt.train;
