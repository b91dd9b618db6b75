package dev.agentmesh.serde;

import java.io.IOException;
import dev.agentmesh.data.RawRow;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DecoderFactory;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads raw rows' values for the row-validator's hot path. A record written with the current {@link RawRow} schema
 * (its wire header names that schema) is read straight off Avro's binary decoder into one map; any other record goes
 * through {@link MeshCodec#decode}, which resolves older or newer writer schemas and reports malformed bytes.
 * Not thread-safe.
 */
public final class RawRowReader {

    private final MeshCodec<RawRow> codec;
    private final byte[] currentHeader;
    private BinaryDecoder decoder;

    public RawRowReader(MeshCodec<RawRow> codec) {
        this.codec = codec;
        this.currentHeader = Arrays.copyOf(codec.encode(new RawRow(Map.of())), MeshCodec.WIRE_HEADER_BYTES);
    }

    /** @throws MeshCodec.MalformedRecordException (or the codec's unknown-schema error) when the bytes are no raw row */
    public Map<String, String> values(byte[] bytes) {
        if (bytes == null || bytes.length < currentHeader.length
                || !Arrays.equals(bytes, 0, currentHeader.length, currentHeader, 0, currentHeader.length)) {
            return new HashMap<>(codec.decode(bytes).getValues());
        }
        try {
            decoder = DecoderFactory.get().binaryDecoder(bytes, currentHeader.length, bytes.length - currentHeader.length, decoder);
            Map<String, String> values = new HashMap<>(16);
            for (long block = decoder.readMapStart(); block != 0; block = decoder.mapNext()) {
                for (long i = 0; i < block; i++) {
                    String column = decoder.readString();
                    int branch = decoder.readIndex();
                    if (branch > 1) {
                        throw new MeshCodec.MalformedRecordException("cannot decode as RawRow: union branch " + branch);
                    }
                    values.put(column, branch == 0 ? null : decoder.readString());
                }
            }
            if (!decoder.isEnd()) {
                throw new MeshCodec.MalformedRecordException("cannot decode as RawRow: bytes left after the record");
            }
            return values;
        } catch (IOException | RuntimeException e) {
            if (e instanceof MeshCodec.MalformedRecordException malformed) {
                throw malformed;
            }
            throw new MeshCodec.MalformedRecordException("cannot decode as RawRow: " + e, e);
        }
    }
}
