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
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/** What the generation translators share: requests, the non-streaming run, streaming sources. */
final class Generations {

    /** Key of the per-call request in the translator context. */
    static final String REQUEST = "ai.ttt.generation.request";

    private Generations() {}

    /** One prompt's plan, kept between processInput and processOutput. */
    record Request(long[] promptIds, GenerationOptions options) {}

    /**
     * A generation the block's forward pass runs ({@link #generate}): what the translator planned
     * (tokenizer, prompt, options), and the result once the block has run it. The block receives
     * only arrays, so the translator registers the plan under an id and passes the id as the array
     * {@value TttStreamingBlock#PLAN}; the plan leaves the registry when the prediction's manager
     * closes, whether or not the block ran it.
     */
    static final class Plan implements AutoCloseable {
        private final long id;
        private final TttTokenizer tokenizer;
        private final Request request;
        private volatile Result result;

        private Plan(long id, TttTokenizer tokenizer, Request request) {
            this.id = id;
            this.tokenizer = tokenizer;
            this.request = request;
        }

        @Override
        public void close() {
            PLANS.remove(id);
        }
    }

    private static final Map<Long, Plan> PLANS = new ConcurrentHashMap<>();
    private static final AtomicLong PLAN_IDS = new AtomicLong();
    private static final String PLAN = "ai.ttt.generation.plan";

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
        Request request = new Request(ids, o);
        Plan plan = new Plan(PLAN_IDS.incrementAndGet(), tokenizer, request);
        PLANS.put(plan.id, plan);
        m.attachInternal(PLAN + "-" + plan.id, plan);
        NDArray planId = m.create(plan.id);
        planId.setName(TttStreamingBlock.PLAN);
        list.add(planId);
        ctx.setAttachment(REQUEST, request);
        ctx.setAttachment(PLAN, plan);
        ctx.setAttachment(NEXT, list.get(1));
        return list;
    }

    /**
     * Runs the generation planned for a request, inside the block's forward pass: reads the prompt,
     * then decodes token by token until EOS, a stop string or the token limit.
     *
     * @param lm the language model
     * @param inputs {@code tokens [1, n]}, {@code next [1, 1]}, the plan id and optionally {@code
     *     ttt}
     * @return {@code generated [k]}: the generated ids (EOS included), on the prompt's manager
     */
    static NDList generate(TttLanguageModel lm, NDList inputs) {
        long id = inputs.get(TttStreamingBlock.PLAN).getLong();
        Plan plan = PLANS.get(id);
        if (plan == null) {
            throw new IllegalStateException(
                    "no generation planned under id " + id + " (the prediction has ended)");
        }
        NDArray tokens = inputs.get(TttStreamingBlock.TOKENS);
        NDArray next = inputs.get(TttStreamingBlock.NEXT);
        GenerationOptions o = plan.request.options();
        try (DecodeSteps steps = DecodeSteps.start(lm, tokens, next, o.testTimeTraining())) {
            DecodeLoop loop = loop(lm, plan.tokenizer, plan.request, steps, next);
            List<String> pieces = new ArrayList<>();
            for (String p = loop.nextPiece(); p != null; p = loop.nextPiece()) {
                pieces.add(p);
            }
            plan.result = new Result(pieces, loop.finishReason());
            NDArray generated = tokens.getManager().create(loop.generatedIds());
            generated.setName(TttStreamingBlock.GENERATED);
            return new NDList(generated);
        }
    }

    static Request request(TranslatorContext ctx) {
        Object r = ctx.getAttachment(REQUEST);
        if (!(r instanceof Request)) {
            throw new IllegalStateException("no generation request in the translator context");
        }
        return (Request) r;
    }

    static DecodeLoop loop(
            TttLanguageModel lm,
            TttTokenizer tokenizer,
            Request request,
            Iterator<NDList> steps,
            NDArray next) {
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

    /**
     * Returns the result of the generation the block's forward pass ran for this prediction.
     *
     * @throws IllegalStateException if the block did not run it (a block other than {@link
     *     TttStreamingBlock})
     */
    static Result result(TranslatorContext ctx) {
        Object p = ctx.getAttachment(PLAN);
        Result r = p instanceof Plan ? ((Plan) p).result : null;
        if (r == null) {
            throw new IllegalStateException(
                    "the model's block did not run the generation (its forward pass must be"
                            + " TttStreamingBlock's)");
        }
        return r;
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
            this.loop =
                    loop(
                            TttModels.languageModel(ctx.getBlock()),
                            tokenizer,
                            r,
                            stream.iterator(),
                            next);
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
