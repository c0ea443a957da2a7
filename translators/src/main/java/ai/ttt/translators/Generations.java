package ai.ttt.translators;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslatorContext;
import ai.ttt.block.nn.TttLanguageModel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

/** What the generation translators share: requests, the non-streaming run, streaming sources. */
final class Generations {

    /** Key of the per-call request in the translator context. */
    static final String REQUEST = "ai.ttt.generation.request";

    private Generations() {}

    /** One prompt's plan, kept between processInput and processOutput. */
    record Request(long[] promptIds, GenerationOptions options) {}

    /** A finished generation. */
    record Result(List<String> pieces, FinishReason reason) {
        String text() {
            return String.join("", pieces);
        }
    }

    /**
     * Encodes a prompt (BOS first when the model has one) into a generation request for {@link
     * TttStreamingBlock}, and remembers the plan in the context.
     */
    static NDList prepare(
            TranslatorContext ctx, TttTokenizer tokenizer, String prompt, GenerationOptions o) {
        if (prompt == null) {
            throw new IllegalArgumentException("the prompt is null");
        }
        if (!(ctx.getBlock() instanceof TttStreamingBlock)) {
            throw new IllegalStateException(
                    "text generation needs the model's block to be a TttStreamingBlock (as"
                            + " ai.ttt.zoo.TttBlockFactory builds it); wrap a TttLanguageModel in"
                            + " new TttStreamingBlock(model)");
        }
        TttLanguageModel lm = TttModels.languageModel(ctx.getBlock());
        long[] ids = TttModels.encodeStart(tokenizer, lm.config(), prompt);
        if (ids.length == 0) {
            throw new IllegalArgumentException(
                    "empty prompt: the model has no BOS token to start a text from");
        }
        NDManager m = ctx.getNDManager();
        NDArray tokens = m.create(ids, new Shape(1, ids.length));
        tokens.setName(TttStreamingBlock.TOKENS);
        NDList list = new NDList(tokens, TttStreamingBlock.nextIds(tokens));
        if (!o.testTimeTraining()) {
            NDArray ttt = m.create(false);
            ttt.setName(TttStreamingBlock.TTT);
            list.add(ttt);
        }
        ctx.setAttachment(REQUEST, new Request(ids, o));
        ctx.setAttachment(NEXT, list.get(1));
        return list;
    }

    static Request request(TranslatorContext ctx) {
        Object r = ctx.getAttachment(REQUEST);
        if (!(r instanceof Request)) {
            throw new IllegalStateException("no generation request in the translator context");
        }
        return (Request) r;
    }

    static DecodeLoop loop(
            TranslatorContext ctx,
            TttTokenizer tokenizer,
            Request request,
            Iterator<NDList> steps,
            NDArray next) {
        TttLanguageModel lm = TttModels.languageModel(ctx.getBlock());
        GenerationOptions o = request.options();
        return new DecodeLoop(
                tokenizer,
                tokenizer.decodableMask(lm.config().vocabSize()),
                o,
                TttModels.eosIds(o, lm.config()),
                request.promptIds(),
                steps,
                next);
    }

    /** Runs a whole generation on the request the block passed through. */
    static Result run(TranslatorContext ctx, TttTokenizer tokenizer, NDList request) {
        Request r = request(ctx);
        TttLanguageModel lm = TttModels.languageModel(ctx.getBlock());
        NDArray next = request.get(TttStreamingBlock.NEXT);
        try (DecodeSteps steps =
                DecodeSteps.start(
                        lm,
                        request.get(TttStreamingBlock.TOKENS),
                        next,
                        r.options().testTimeTraining())) {
            DecodeLoop loop = loop(ctx, tokenizer, r, steps, next);
            List<String> pieces = new ArrayList<>();
            for (String p = loop.nextPiece(); p != null; p = loop.nextPiece()) {
                pieces.add(p);
            }
            return new Result(pieces, loop.finishReason());
        }
    }

    /** Pieces pulled from the block's stream; closing closes the stream (state and context). */
    static final class StreamSource implements TextStream.Source {
        private final Stream<NDList> stream;
        private final DecodeLoop loop;
        private TextStream owner;
        private boolean closed;

        StreamSource(TranslatorContext ctx, TttTokenizer tokenizer, Stream<NDList> stream) {
            Request r = request(ctx);
            this.stream = stream;
            // processInput created the request; its "next" array is the one the block reads.
            NDArray next = nextArray(ctx);
            this.loop = loop(ctx, tokenizer, r, stream.iterator(), next);
        }

        void owner(TextStream s) {
            owner = s;
        }

        @Override
        public synchronized String next() {
            if (closed) {
                return null;
            }
            String p = loop.nextPiece();
            if (p == null) {
                if (owner != null) {
                    owner.finished(loop.finishReason());
                }
                close();
            }
            return p;
        }

        FinishReason finishReason() {
            return loop.finishReason();
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                stream.close();
            }
        }
    }

    /** Key of the "next" array of the current request in the translator context. */
    static final String NEXT = "ai.ttt.generation.next";

    private static NDArray nextArray(TranslatorContext ctx) {
        Object o = ctx.getAttachment(NEXT);
        if (!(o instanceof NDArray)) {
            throw new IllegalStateException("no generation request in the translator context");
        }
        return (NDArray) o;
    }
}
