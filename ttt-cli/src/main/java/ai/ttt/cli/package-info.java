/** The {@code ttt} command: generate, score, chat, convert, info, bench and train. */
package ai.ttt.cli;
