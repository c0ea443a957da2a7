/**
 * The project's TorchScript kernels for DJL's PyTorch engine: {@link
 * ai.ttt.block.kernels.TorchScriptArchive} writes tiny parameterless TorchScript archives from
 * source held in our own Java code, {@link ai.ttt.block.kernels.Kernels} loads them once per device
 * and exposes fused sliding-window attention and functional autograd ({@code torch.autograd.grad}),
 * and {@link ai.ttt.block.kernels.PlainAttention} is the plain-op reference that second-order
 * gradients can pass through. See shared/docs/torchscript-kernels.md.
 */
package ai.ttt.block.kernels;
