/**
 * Reading and writing files safely: the one atomic writer of files and directories ({@link
 * ai.ttt.block.io.AtomicWriter}) and the one UTF-8 text reader ({@link ai.ttt.block.io.TextFiles}).
 */
package ai.ttt.block.io;
