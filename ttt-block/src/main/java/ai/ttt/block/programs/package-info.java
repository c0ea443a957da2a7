/**
 * The engine's hot path as TorchScript programs written by this project: one module call reads a
 * whole chunk (every block, the mini-batch loss, {@code autograd.grad} and the fast-weight update)
 * or closes a mini-batch that decoding filled, instead of thousands of DJL operations. {@link
 * ai.ttt.block.programs.TttProgram} binds a model's weights once, {@link
 * ai.ttt.block.programs.ProgramState} a sequence state's buffers once; the source is the resource
 * {@code TttProgram.torchscript}, specialised per model through module attributes. The DJL-op
 * engine ({@code ai.ttt.block.engine}) stays the reference they are tested against.
 */
package ai.ttt.block.programs;
