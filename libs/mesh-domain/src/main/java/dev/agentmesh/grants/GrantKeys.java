package dev.agentmesh.grants;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;

/** Ed25519 keys, signatures and key ids, from the JDK alone. */
public final class GrantKeys {

    private static final String ALGORITHM = "Ed25519";

    private GrantKeys() {
    }

    public static KeyPair generate() {
        try {
            return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** First 16 hex digits of the SHA-256 of the encoded public key. */
    public static String keyId(PublicKey key) {
        return keyId(key.getEncoded());
    }

    public static String keyId(byte[] encodedPublicKey) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(encodedPublicKey);
            return HexFormat.of().formatHex(digest, 0, 8);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] sign(PrivateKey key, byte[] data) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initSign(key);
            signature.update(data);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    public static boolean verify(PublicKey key, byte[] data, byte[] signatureBytes) {
        try {
            Signature signature = Signature.getInstance(ALGORITHM);
            signature.initVerify(key);
            signature.update(data);
            return signature.verify(signatureBytes);
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return false;
        }
    }

    public static PublicKey publicKey(byte[] x509) {
        try {
            return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(x509));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an Ed25519 public key: " + e.getMessage(), e);
        }
    }

    public static PublicKey publicKey(String base64) {
        return publicKey(Base64.getDecoder().decode(base64.trim()));
    }

    public static String toBase64(PublicKey key) {
        return Base64.getEncoder().encodeToString(key.getEncoded());
    }

    /** Writes {@code <name>.key} (PKCS#8 private) and {@code <name>.pub} (X.509 public), base64, under {@code dir}. */
    public static void save(KeyPair pair, Path dir, String name) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(name + ".key"), Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()));
            Files.writeString(dir.resolve(name + ".pub"), toBase64(pair.getPublic()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static KeyPair load(Path dir, String name) {
        try {
            byte[] priv = Base64.getDecoder().decode(Files.readString(dir.resolve(name + ".key"), StandardCharsets.UTF_8).trim());
            PrivateKey privateKey = KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(priv));
            PublicKey publicKey = publicKey(Files.readString(dir.resolve(name + ".pub"), StandardCharsets.UTF_8));
            return new KeyPair(publicKey, privateKey);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("bad key files for " + name + " in " + dir, e);
        }
    }

    public static KeyPair loadOrCreate(Path dir, String name) {
        if (Files.isRegularFile(dir.resolve(name + ".key"))) {
            return load(dir, name);
        }
        KeyPair pair = generate();
        save(pair, dir, name);
        return pair;
    }
}
