package ai.ttt.translators;

import ai.djl.inference.streaming.ChunkedBytesSupplier;
import ai.djl.inference.streaming.IteratorBytesSupplier;
import ai.djl.modality.Input;
import ai.djl.modality.Output;
import ai.djl.ndarray.BytesSupplier;
import ai.djl.ndarray.NDList;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.ServingTranslator;
import ai.djl.translate.TranslatorContext;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Text generation for DJL Serving, Input → Output.
 *
 * <p>The request body is either plain text (the prompt) or JSON in the style of Hugging Face's
 * text-generation-inference: {@code {"inputs": "prompt", "parameters": {"max_new_tokens": 32,
 * "temperature": 0.7, "top_k": 40, "top_p": 0.9, "repetition_penalty": 1.1, "seed": 1, "stop":
 * ["\n\n"], "do_sample": true}}} (camelCase names as in {@link GenerationOptions} work too).
 * Parameters override the model's arguments for that request; a parameter this model does not
 * implement ({@code num_beams}, {@code details}, {@code typical_p}, …) is refused with the list of
 * known ones ({@link GenerationOptions#REQUEST_PARAMETER_NAMES}).
 *
 * <p>The response is JSON {@code {"generated_text": "…", "finish_reason": "eos|stop|length"}}. With
 * {@code streamingPredict}, the output's data is a stream of UTF-8 text chunks, each a whole number
 * of characters, iterative ({@link IteratorBytesSupplier}) or asynchronous ({@link
 * ChunkedBytesSupplier}).
 */
public class TttServingTranslator
        implements ServingTranslator, NoBatchifyTranslator<Input, Output> {

    private final TttTokenizer tokenizer;
    private volatile GenerationOptions options;

    /**
     * Creates the translator.
     *
     * @param tokenizer the model's tokenizer (not closed by the translator)
     * @param options the default generation options
     */
    public TttServingTranslator(TttTokenizer tokenizer, GenerationOptions options) {
        this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
        this.options = Objects.requireNonNull(options, "options");
    }

    /** {@inheritDoc} */
    @Override
    public void setArguments(Map<String, ?> arguments) {
        options = options.withArguments(arguments);
    }

    /** {@inheritDoc} */
    @Override
    public NDList processInput(TranslatorContext ctx, Input input) {
        BytesSupplier data = input.getData();
        String body = data == null ? "" : new String(data.getAsBytes(), StandardCharsets.UTF_8);
        String prompt = body;
        GenerationOptions o = options;
        if (body.trim().startsWith("{")) {
            JsonObject json;
            try {
                json = JsonParser.parseString(body).getAsJsonObject();
            } catch (JsonParseException | IllegalStateException e) {
                throw new IllegalArgumentException("the request body is not valid JSON: " + e, e);
            }
            JsonElement inputs = json.get("inputs");
            if (inputs == null || !inputs.isJsonPrimitive()) {
                throw new IllegalArgumentException(
                        "the JSON request needs \"inputs\": the prompt as a string");
            }
            prompt = inputs.getAsString();
            JsonElement params = json.get("parameters");
            if (params != null && !params.isJsonNull()) {
                if (!params.isJsonObject()) {
                    throw new IllegalArgumentException("\"parameters\" must be a JSON object");
                }
                Map<String, Object> values = toMap(params.getAsJsonObject());
                GenerationOptions.requireKnown(
                        params.getAsJsonObject().keySet(),
                        GenerationOptions.REQUEST_PARAMETER_NAMES,
                        "request parameter");
                o = o.withArguments(values);
            }
        }
        return Generations.prepare(ctx, tokenizer, prompt, o);
    }

    /** {@inheritDoc} */
    @Override
    public Output processOutput(TranslatorContext ctx, NDList list) {
        Generations.Result r = Generations.result(ctx);
        JsonObject json = new JsonObject();
        json.addProperty("generated_text", r.text());
        json.addProperty("finish_reason", r.reason().name().toLowerCase(Locale.ROOT));
        Output out = new Output();
        out.addProperty("Content-Type", "application/json");
        out.add(json.toString());
        return out;
    }

    /** {@inheritDoc} */
    @Override
    public StreamOutput<Output> processStreamOutput(TranslatorContext ctx, Stream<NDList> list) {
        Generations.StreamSource source;
        try {
            source = new Generations.StreamSource(ctx, tokenizer, list);
        } catch (RuntimeException e) {
            list.close();
            throw e;
        }
        return new StreamOutput<>() {
            @Override
            protected Output buildAsyncOutput() {
                Output out = new Output();
                out.addProperty("Content-Type", "text/plain; charset=utf-8");
                out.add(new ChunkedBytesSupplier());
                return out;
            }

            @Override
            protected void computeAsyncOutputInternal(Output output) {
                ChunkedBytesSupplier chunks = (ChunkedBytesSupplier) output.getData();
                try {
                    for (String p = source.next(); p != null; p = source.next()) {
                        chunks.appendContent(p.getBytes(StandardCharsets.UTF_8), false);
                    }
                    chunks.appendContent(new byte[0], true);
                } finally {
                    source.close();
                }
            }

            @Override
            public Output getIterativeOutputInternal() {
                Iterator<BytesSupplier> pieces =
                        new Iterator<>() {
                            private String next;
                            private boolean done;

                            @Override
                            public boolean hasNext() {
                                if (next == null && !done) {
                                    next = source.next();
                                    done = next == null;
                                }
                                return next != null;
                            }

                            @Override
                            public BytesSupplier next() {
                                if (!hasNext()) {
                                    throw new NoSuchElementException();
                                }
                                BytesSupplier b =
                                        BytesSupplier.wrap(next.getBytes(StandardCharsets.UTF_8));
                                next = null;
                                return b;
                            }
                        };
                Output out = new Output();
                out.addProperty("Content-Type", "text/plain; charset=utf-8");
                out.add(new IteratorBytesSupplier(pieces));
                return out;
            }
        };
    }

    /** Converts JSON parameters to the plain Java values {@link GenerationOptions} reads. */
    private static Map<String, Object> toMap(JsonObject o) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            if (e.getValue().isJsonNull()) {
                continue;
            }
            map.put(e.getKey(), toJava(e.getValue()));
        }
        return map;
    }

    private static Object toJava(JsonElement e) {
        if (e.isJsonArray()) {
            List<Object> list = new ArrayList<>();
            for (JsonElement x : e.getAsJsonArray()) {
                list.add(toJava(x));
            }
            return list;
        }
        if (e.isJsonPrimitive()) {
            JsonPrimitive p = e.getAsJsonPrimitive();
            if (p.isBoolean()) {
                return p.getAsBoolean();
            }
            if (p.isNumber()) {
                String s = p.getAsString();
                try {
                    return Long.parseLong(s);
                } catch (NumberFormatException notLong) {
                    return Double.parseDouble(s);
                }
            }
            return p.getAsString();
        }
        return e.toString();
    }
}
