package org.cowstack.storage.nbd;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** Big-endian reads and writes of one connection, and the option replies of the handshake. */
final class Wire {
    final DataInputStream in;
    final DataOutputStream out;

    Wire(DataInputStream in, DataOutputStream out) {
        this.in = in;
        this.out = out;
    }

    /** An option reply: magic, the option it answers, its type and payload. */
    void optionReply(int option, int type, byte[] payload) throws IOException {
        out.writeLong(Nbd.OPTION_REPLY_MAGIC);
        out.writeInt(option);
        out.writeInt(type);
        out.writeInt(payload.length);
        out.write(payload);
        out.flush();
    }

    /** An error reply with a message (the spec allows a UTF-8 string as the payload). */
    void optionError(int option, int type, String message) throws IOException {
        optionReply(option, type, message.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads {@code n} bytes, all of them (EOFException at the end of the stream). */
    byte[] bytes(int n) throws IOException {
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    /** Skips {@code n} bytes of a payload that is not used. */
    void skip(long n) throws IOException {
        byte[] sink = new byte[(int) Math.min(n, 64 << 10)];
        while (n > 0) {
            int k = (int) Math.min(n, sink.length);
            in.readFully(sink, 0, k);
            n -= k;
        }
    }
}
