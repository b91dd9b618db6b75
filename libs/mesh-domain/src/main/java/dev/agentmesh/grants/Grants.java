package dev.agentmesh.grants;

import dev.agentmesh.grant.GrantIssued;
import dev.agentmesh.grant.GrantRevoked;
import dev.agentmesh.grant.GrantScope;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Issues and revokes signed grants. */
public final class Grants {

    /** The role of the root of authority: root grants are issued by it, and only it decides returned runs. */
    public static final String PRINCIPAL = "principal";


    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private Grants() {
    }

    public static GrantScope scope(List<String> actions, List<String> resources, Long budgetComputeMs) {
        return scope(actions, resources, budgetComputeMs, null, null);
    }

    /** A scope with budgets for compute, language-model tokens and money (millionths); null sets none. */
    public static GrantScope scope(List<String> actions, List<String> resources, Long budgetComputeMs, Long budgetTokens,
                                   Long budgetMoneyMicros) {
        return new GrantScope(List.copyOf(actions), List.copyOf(resources), budgetComputeMs, budgetTokens, budgetMoneyMicros);
    }

    /** A root grant from the principal. */
    public static GrantIssued root(KeyPair principal, String principalName, String grantee, PublicKey granteeKey,
                                   GrantScope scope, Instant expiresAt, int maxDepth) {
        return sign(principal, GrantIssued.newBuilder()
                .setGrantId(UUID.randomUUID().toString())
                .setParentGrantId(null)
                .setGrantor(principalName)
                .setGrantee(grantee)
                .setGranteePublicKey(ByteBuffer.wrap(granteeKey.getEncoded()))
                .setScope(scope)
                .setExpiresAt(expiresAt)
                .setMaxDepth(maxDepth)
                .setSignerKeyId("")
                .setSignature(EMPTY)
                .build());
    }

    /** A child grant, signed by the holder of {@code parent} with the key the parent names for its grantee. */
    public static GrantIssued delegate(GrantIssued parent, KeyPair holder, String grantee, PublicKey granteeKey,
                                       GrantScope scope, Instant expiresAt, int maxDepth) {
        return sign(holder, GrantIssued.newBuilder()
                .setGrantId(UUID.randomUUID().toString())
                .setParentGrantId(parent.getGrantId())
                .setGrantor(parent.getGrantee())
                .setGrantee(grantee)
                .setGranteePublicKey(ByteBuffer.wrap(granteeKey.getEncoded()))
                .setScope(scope)
                .setExpiresAt(expiresAt)
                .setMaxDepth(maxDepth)
                .setSignerKeyId("")
                .setSignature(EMPTY)
                .build());
    }

    public static GrantRevoked revoke(String grantId, KeyPair signer, String revokedBy, String reason) {
        GrantRevoked revoked = new GrantRevoked(grantId, revokedBy, reason, GrantKeys.keyId(signer.getPublic()), EMPTY);
        revoked.setSignature(ByteBuffer.wrap(GrantKeys.sign(signer.getPrivate(), canonical(revoked))));
        return revoked;
    }

    static GrantIssued sign(KeyPair signer, GrantIssued unsigned) {
        unsigned.setSignerKeyId(GrantKeys.keyId(signer.getPublic()));
        unsigned.setSignature(ByteBuffer.wrap(GrantKeys.sign(signer.getPrivate(), canonical(unsigned))));
        return unsigned;
    }

    /**
     * The signed bytes: the record's Avro binary encoding with an empty signature. Shallow copies, not
     * {@code newBuilder(record)}: the builder's deep copy resolves classes through Avro's own class loader.
     */
    public static byte[] canonical(GrantIssued g) {
        return avro(new GrantIssued(g.getGrantId(), g.getParentGrantId(), g.getGrantor(), g.getGrantee(),
                g.getGranteePublicKey(), g.getScope(), g.getExpiresAt(), g.getMaxDepth(), g.getSignerKeyId(), EMPTY));
    }

    public static byte[] canonical(GrantRevoked r) {
        return avro(new GrantRevoked(r.getGrantId(), r.getRevokedBy(), r.getReason(), r.getSignerKeyId(), EMPTY));
    }

    static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer copy = buffer.duplicate();
        copy.rewind();
        byte[] out = new byte[copy.remaining()];
        copy.get(out);
        return out;
    }

    @SuppressWarnings("unchecked")
    private static <T extends SpecificRecord> byte[] avro(T record) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<>((Class<T>) record.getClass()).write(record, encoder);
            encoder.flush();
            return out.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
