/**
 * Converters from Hugging Face Llama-family checkpoints and from the official TTT-E2E release into
 * TTT-E2E model directories (docs/MODEL_FORMAT.md).
 */
package ai.ttt.convert;
