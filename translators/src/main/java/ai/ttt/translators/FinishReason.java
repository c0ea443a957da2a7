package ai.ttt.translators;

/** Why a generation ended. */
public enum FinishReason {
    /** An end-of-sequence id was generated (it is not part of the text). */
    EOS,
    /** A stop string was generated (the text ends right before it). */
    STOP,
    /** The maximum number of new tokens was reached. */
    LENGTH
}
