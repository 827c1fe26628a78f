package org.cowstack.storage.nbd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A client that speaks the protocol byte by byte, every byte of the server's answers
 * checked: the tests' own client, written from the spec.
 */
final class NbdClient implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final DataOutputStream out;
    boolean structured;
    long cookie = 1;

    NbdClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = new DataOutputStream(socket.getOutputStream());
        assertEquals(Nbd.NBDMAGIC, in.readLong());
        assertEquals(Nbd.IHAVEOPT, in.readLong());
        assertEquals(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES, in.readUnsignedShort());
        out.writeInt(Nbd.CLIENT_FIXED_NEWSTYLE | Nbd.CLIENT_NO_ZEROES);
    }

    void option(int option, byte[] data) throws IOException {
        out.writeLong(Nbd.IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    /** One option reply: {type, payload}. */
    Object[] reply(int option) throws IOException {
        assertEquals(Nbd.OPTION_REPLY_MAGIC, in.readLong());
        assertEquals(option, in.readInt());
        int type = in.readInt();
        byte[] payload = new byte[in.readInt()];
        in.readFully(payload);
        return new Object[] {type, payload};
    }

    /** GO to an export; the export's size and flags. */
    long[] go(String name) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2).putInt(n.length).put(n).putShort((short) 1)
                .putShort((short) Nbd.INFO_BLOCK_SIZE);
        option(Nbd.OPT_GO, b.array());
        long[] export = null;
        while (true) {
            Object[] r = reply(Nbd.OPT_GO);
            int type = (int) r[0];
            if (type == Nbd.REP_ACK) {
                return export;
            }
            if (type < 0) {
                throw new IOException("GO refused: " + Integer.toHexString(type) + " "
                        + new String((byte[]) r[1], StandardCharsets.UTF_8));
            }
            ByteBuffer p = ByteBuffer.wrap((byte[]) r[1]);
            int info = p.getShort();
            if (info == Nbd.INFO_EXPORT) {
                export = new long[] {p.getLong(), p.getShort() & 0xffff};
            } else if (info == Nbd.INFO_BLOCK_SIZE) {
                assertEquals(1, p.getInt());
                assertEquals(4096, p.getInt());
                assertEquals(Nbd.MAX_PAYLOAD, p.getInt());
            }
        }
    }

    void negotiateStructured() throws IOException {
        option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
        assertEquals(Nbd.REP_ACK, reply(Nbd.OPT_STRUCTURED_REPLY)[0]);
        structured = true;
    }

    void setBaseAllocation(String export) throws IOException {
        byte[] n = export.getBytes(StandardCharsets.UTF_8);
        byte[] q = Nbd.BASE_ALLOCATION.getBytes(StandardCharsets.UTF_8);
        option(Nbd.OPT_SET_META_CONTEXT, ByteBuffer.allocate(4 + n.length + 4 + 4 + q.length).putInt(n.length)
                .put(n).putInt(1).putInt(q.length).put(q).array());
        Object[] r = reply(Nbd.OPT_SET_META_CONTEXT);
        assertEquals(Nbd.REP_META_CONTEXT, r[0]);
        assertEquals(Nbd.CONTEXT_BASE_ALLOCATION, ByteBuffer.wrap((byte[]) r[1]).getInt());
        assertEquals(Nbd.REP_ACK, reply(Nbd.OPT_SET_META_CONTEXT)[0]);
    }

    long request(int flags, int type, long offset, long length, byte[] payload) throws IOException {
        long c = cookie++;
        out.writeInt(Nbd.REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(c);
        out.writeLong(offset);
        out.writeInt((int) length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
        return c;
    }

    /** A simple reply's error (0: success), data read into {@code data} if given and successful. */
    int simpleReply(long c, byte[] data) throws IOException {
        assertEquals(Nbd.SIMPLE_REPLY_MAGIC, in.readInt());
        int errno = in.readInt();
        assertEquals(c, in.readLong());
        if (errno == 0 && data != null) {
            in.readFully(data);
        }
        return errno;
    }

    /** Structured reply chunks until DONE: {type, offset-or-errno, bytes}. */
    List<Object[]> chunks(long c, byte[] into, long base) throws IOException {
        List<Object[]> out = new ArrayList<>();
        while (true) {
            assertEquals(Nbd.STRUCTURED_REPLY_MAGIC, in.readInt());
            int flags = in.readUnsignedShort();
            int type = in.readUnsignedShort();
            assertEquals(c, in.readLong());
            int length = in.readInt();
            byte[] payload = new byte[length];
            in.readFully(payload);
            ByteBuffer p = ByteBuffer.wrap(payload);
            if (type == Nbd.REPLY_OFFSET_DATA) {
                long off = p.getLong();
                p.get(into, (int) (off - base), length - 8);
                out.add(new Object[] {type, off, (long) length - 8});
            } else if (type == Nbd.REPLY_OFFSET_HOLE) {
                long off = p.getLong();
                int n = p.getInt();
                java.util.Arrays.fill(into, (int) (off - base), (int) (off - base) + n, (byte) 0);
                out.add(new Object[] {type, off, (long) n});
            } else if (type == Nbd.REPLY_ERROR) {
                out.add(new Object[] {type, (long) p.getInt(), 0L});
            } else if (type == Nbd.REPLY_BLOCK_STATUS) {
                assertEquals(Nbd.CONTEXT_BASE_ALLOCATION, p.getInt());
                while (p.hasRemaining()) {
                    out.add(new Object[] {type, Integer.toUnsignedLong(p.getInt()), (long) p.getInt()});
                }
            } else {
                out.add(new Object[] {type, 0L, 0L});
            }
            if ((flags & Nbd.REPLY_FLAG_DONE) != 0) {
                return out;
            }
        }
    }

    /** The errno of a structured reply that must be one error chunk. */
    int structuredError(long c) throws IOException {
        List<Object[]> chunks = chunks(c, new byte[0], 0);
        assertEquals(1, chunks.size());
        return (int) chunks.get(0)[0] == Nbd.REPLY_ERROR ? (int) (long) chunks.get(0)[1] : 0;
    }

    void disconnect() throws IOException {
        request(0, Nbd.CMD_DISC, 0, 0, null);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}

