package dev.agentmesh.judgment;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** One rendered request to a model: the role's system prompt, the question, and the JSON schema the answer must meet. */
public record ModelPrompt(String system, String user, String answerSchema, ModelSettings settings) {

    public String rendered() {
        return "[system]\n" + system + "\n[user]\n" + user;
    }

    /** Identifies the call for replay: the same prompt, schema, model and parameters give the same hash. */
    public String hash() {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(rendered().getBytes(StandardCharsets.UTF_8));
            sha.update(("\n[schema]\n" + answerSchema + "\n[model]\n" + settings.model() + "\n" + settings.parameters())
                    .getBytes(StandardCharsets.UTF_8));
            return "sha256:" + HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A rough token count for budget checks before a call: about four characters a token. */
    public long estimatedInputTokens() {
        return (rendered().length() + answerSchema.length()) / 4 + 1;
    }
}
