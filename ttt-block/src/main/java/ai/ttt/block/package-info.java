/**
 * The TTT-E2E model format: config ({@link ai.ttt.block.TttConfig}), tensor names and model
 * directories.
 */
package ai.ttt.block;
