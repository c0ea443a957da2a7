/**
 * The TTT-E2E meta-learning trainer: the outer loss through the inner test-time-training steps
 * (through the whole graph, or recomputed per mini-batch for long sequences), AdamW with warm-up
 * and cosine decay, data packing, checkpoints that resume exactly.
 */
package ai.ttt.train;
