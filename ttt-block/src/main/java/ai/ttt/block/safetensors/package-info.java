/**
 * Reading and writing safetensors files: single files ({@link
 * ai.ttt.block.safetensors.SafetensorsFile}), single or sharded checkpoints ({@link
 * ai.ttt.block.safetensors.Checkpoint}) and a deterministic, atomic writer ({@link
 * ai.ttt.block.safetensors.SafetensorsWriter}).
 *
 * <p>Format: an 8-byte little-endian unsigned header length N, N bytes of UTF-8 JSON (optionally
 * padded with spaces), then the data section. Every tensor entry gives {@code dtype}, {@code shape}
 * and {@code data_offsets} [begin, end) relative to the data section; an optional {@code
 * __metadata__} entry maps strings to strings. All offsets are 64-bit here: files and tensors over
 * 2 GiB are supported.
 *
 * <p>Every defect in a file is reported as a {@link ai.ttt.block.safetensors.SafetensorsException}
 * naming the file, the defect and (where relevant) the tensor; a damaged file never crashes the JVM
 * and is never silently misread. BF16 tensors are converted to FP32 in Java and never reach the
 * engine as BF16 (DJL's PyTorch engine aborts the JVM on BF16).
 */
package ai.ttt.block.safetensors;
