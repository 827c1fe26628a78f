package org.cowstack.storage.nbd;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The fixed newstyle negotiation, option by option, until the client picks an export
 * ({@code NBD_OPT_GO} or {@code NBD_OPT_EXPORT_NAME}) or leaves. Every option's length
 * is checked against its content before anything is used; an unknown option is answered
 * {@code NBD_REP_ERR_UNSUP} and negotiation goes on; an option longer than
 * {@link Nbd#MAX_OPTION} or a bad magic ends the connection.
 *
 * <p>A server with TLS credentials is TLS-only (the spec's FORCEDTLS): until
 * {@code NBD_OPT_STARTTLS} every option but it and {@code NBD_OPT_ABORT} is answered
 * {@code NBD_REP_ERR_TLS_REQD}, so neither export names nor data cross the network in
 * clear, and {@code NBD_OPT_EXPORT_NAME}, which has no error reply, ends the connection.
 */
final class Handshake {
    /** What the negotiation settled. */
    record Result(Export export, long size, int transmissionFlags, boolean structured, List<String> contexts) {
        /** The id of a selected meta context: its index + 1. */
        int id(String context) {
            return contexts.indexOf(context) + 1;
        }
    }

    /** The client ended the negotiation without an export (ABORT, or a protocol error). */
    static final class Ended extends IOException {
        private static final long serialVersionUID = 1L;

        Ended(String why) {
            super(why);
        }
    }

    /** Turns the connection into TLS once {@code NBD_OPT_STARTTLS} is acknowledged; the wire over TLS. */
    interface StartTls {
        Wire start() throws IOException;
    }

    private Wire wire;
    private final Function<String, Export> exports;
    private final Supplier<List<Export>> all;
    /** Null: TLS is not offered. */
    private final StartTls startTls;
    private boolean secured;
    private boolean structured;
    /** Export name whose meta contexts were selected, or null; and those contexts, in id order. */
    private String contextExport;
    private List<String> selected = List.of();

    Handshake(Wire wire, Function<String, Export> exports, Supplier<List<Export>> all) {
        this(wire, exports, all, null);
    }

    /** @param startTls null when the server has no TLS credentials; otherwise TLS is required */
    Handshake(Wire wire, Function<String, Export> exports, Supplier<List<Export>> all, StartTls startTls) {
        this.wire = wire;
        this.exports = exports;
        this.all = all;
        this.startTls = startTls;
    }

    /** The wire the negotiation ended on: over TLS once it was started. */
    Wire wire() {
        return wire;
    }

    Result run() throws IOException {
        wire.out.writeLong(Nbd.NBDMAGIC);
        wire.out.writeLong(Nbd.IHAVEOPT);
        wire.out.writeShort(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES);
        wire.out.flush();
        int clientFlags = wire.in.readInt();
        if ((clientFlags & ~(Nbd.CLIENT_FIXED_NEWSTYLE | Nbd.CLIENT_NO_ZEROES)) != 0) {
            throw new Ended("unknown client flags 0x" + Integer.toHexString(clientFlags));
        }
        boolean noZeroes = (clientFlags & Nbd.CLIENT_NO_ZEROES) != 0;
        while (true) {
            long magic = wire.in.readLong();
            if (magic != Nbd.IHAVEOPT) {
                throw new Ended("bad option magic 0x" + Long.toHexString(magic));
            }
            int option = wire.in.readInt();
            long length = Integer.toUnsignedLong(wire.in.readInt());
            if (length > Nbd.MAX_OPTION) {
                wire.optionError(option, Nbd.REP_ERR_TOO_BIG, "option of " + length + " bytes: at most "
                        + Nbd.MAX_OPTION);
                throw new Ended("option " + option + " of " + length + " bytes");
            }
            ByteBuffer data = ByteBuffer.wrap(wire.bytes((int) length));
            if (startTls != null && !secured && option != Nbd.OPT_STARTTLS && option != Nbd.OPT_ABORT) {
                if (option == Nbd.OPT_EXPORT_NAME) {
                    throw new Ended("NBD_OPT_EXPORT_NAME before NBD_OPT_STARTTLS on a TLS-only server");
                }
                wire.optionError(option, Nbd.REP_ERR_TLS_REQD, "this server requires TLS: NBD_OPT_STARTTLS first");
                continue;
            }
            Result done = option(option, data, noZeroes);
            if (done != null) {
                return done;
            }
        }
    }

    /** Answers one option; a result when the client chose an export. */
    private Result option(int option, ByteBuffer data, boolean noZeroes) throws IOException {
        switch (option) {
            case Nbd.OPT_EXPORT_NAME: {
                Export e;
                try {
                    e = exports.apply(text(data, data.remaining()));
                } catch (IllegalArgumentException notUtf8) {
                    throw new Ended("an export name that is not UTF-8"); // no error reply here either
                }
                if (e == null) {
                    throw new Ended("unknown export"); // this option has no error reply: the spec says close
                }
                Result r = result(e);
                wire.out.writeLong(r.size());
                wire.out.writeShort(r.transmissionFlags());
                if (!noZeroes) {
                    wire.out.write(new byte[124]);
                }
                wire.out.flush();
                return r;
            }
            case Nbd.OPT_ABORT:
                wire.optionReply(option, Nbd.REP_ACK, new byte[0]);
                throw new Ended("the client aborted");
            case Nbd.OPT_LIST:
                if (data.hasRemaining()) {
                    wire.optionError(option, Nbd.REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
                    return null;
                }
                for (Export e : all.get()) {
                    byte[] name = e.name().getBytes(StandardCharsets.UTF_8);
                    byte[] description = e.description().getBytes(StandardCharsets.UTF_8);
                    ByteBuffer b = ByteBuffer.allocate(4 + name.length + description.length);
                    b.putInt(name.length).put(name).put(description);
                    wire.optionReply(option, Nbd.REP_SERVER, b.array());
                }
                wire.optionReply(option, Nbd.REP_ACK, new byte[0]);
                return null;
            case Nbd.OPT_INFO:
            case Nbd.OPT_GO:
                return infoOrGo(option, data);
            case Nbd.OPT_STRUCTURED_REPLY:
                if (data.hasRemaining()) {
                    wire.optionError(option, Nbd.REP_ERR_INVALID, "NBD_OPT_STRUCTURED_REPLY takes no data");
                } else if (structured) {
                    wire.optionError(option, Nbd.REP_ERR_INVALID, "structured replies were negotiated already");
                } else {
                    structured = true;
                    wire.optionReply(option, Nbd.REP_ACK, new byte[0]);
                }
                return null;
            case Nbd.OPT_LIST_META_CONTEXT:
            case Nbd.OPT_SET_META_CONTEXT:
                metaContext(option, data);
                return null;
            case Nbd.OPT_STARTTLS:
                startTls(data);
                return null;
            default:
                wire.optionError(option, Nbd.REP_ERR_UNSUP, "option " + option + " is not supported");
                return null;
        }
    }

    /** Acknowledges and starts TLS, forgetting what was negotiated in clear (as the spec asks). */
    private void startTls(ByteBuffer data) throws IOException {
        int option = Nbd.OPT_STARTTLS;
        if (startTls == null) {
            wire.optionError(option, Nbd.REP_ERR_UNSUP, "TLS is not offered here (the export has no TLS credentials)");
        } else if (secured) {
            wire.optionError(option, Nbd.REP_ERR_INVALID, "TLS is started already");
        } else if (data.hasRemaining()) {
            wire.optionError(option, Nbd.REP_ERR_INVALID, "NBD_OPT_STARTTLS takes no data");
        } else if (wire.in.available() > 0) {
            // bytes sent before our reply would be lost between the clear and the TLS stream
            throw new Ended("sent data after NBD_OPT_STARTTLS without waiting for its reply");
        } else {
            wire.optionReply(option, Nbd.REP_ACK, new byte[0]);
            wire = startTls.start();
            secured = true;
            structured = false;
            contextExport = null;
            selected = List.of();
        }
    }

    private Result infoOrGo(int option, ByteBuffer data) throws IOException {
        String name;
        int[] requests;
        try {
            name = text(data, checkedLength(data, 4));
            int n = Short.toUnsignedInt(data.getShort());
            if (data.remaining() != 2 * n) {
                throw new IllegalArgumentException("length disagrees with its " + n + " information requests");
            }
            requests = new int[n];
            for (int i = 0; i < n; i++) {
                requests[i] = Short.toUnsignedInt(data.getShort());
            }
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            wire.optionError(option, Nbd.REP_ERR_INVALID, "malformed request: " + e.getMessage());
            return null;
        }
        Export e = exports.apply(name);
        if (e == null) {
            wire.optionError(option, Nbd.REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return null;
        }
        Result r;
        try {
            r = result(e);
        } catch (IOException failure) {
            wire.optionError(option, Nbd.REP_ERR_UNKNOWN, "export '" + name + "' cannot be opened: "
                    + failure.getMessage());
            return null;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream info = new DataOutputStream(bytes);
        info.writeShort(Nbd.INFO_EXPORT);
        info.writeLong(r.size());
        info.writeShort(r.transmissionFlags());
        wire.optionReply(option, Nbd.REP_INFO, bytes.toByteArray());
        for (int request : requests) {
            bytes.reset();
            switch (request) {
                case Nbd.INFO_NAME:
                    info.writeShort(Nbd.INFO_NAME);
                    info.write(e.name().getBytes(StandardCharsets.UTF_8));
                    break;
                case Nbd.INFO_DESCRIPTION:
                    info.writeShort(Nbd.INFO_DESCRIPTION);
                    info.write(e.description().getBytes(StandardCharsets.UTF_8));
                    break;
                case Nbd.INFO_BLOCK_SIZE:
                    info.writeShort(Nbd.INFO_BLOCK_SIZE);
                    info.writeInt(1);
                    info.writeInt(e.volume().blockSize()); // preferred: no read-modify-write below it
                    info.writeInt(Nbd.MAX_PAYLOAD);
                    break;
                default:
                    continue; // unknown requests are ignored, as the spec says
            }
            wire.optionReply(option, Nbd.REP_INFO, bytes.toByteArray());
        }
        wire.optionReply(option, Nbd.REP_ACK, new byte[0]);
        if (option == Nbd.OPT_INFO) {
            return null;
        }
        List<String> contexts = contextExport != null && contextExport.equals(e.name()) ? selected : List.of();
        return new Result(r.export(), r.size(), r.transmissionFlags(), structured, contexts);
    }

    /** The size and flags the export is served with now. */
    private Result result(Export e) throws IOException {
        long size = e.volume().stat(e.path()).size();
        int flags = Nbd.TF_HAS_FLAGS | Nbd.TF_SEND_FLUSH | Nbd.TF_SEND_FUA | Nbd.TF_SEND_CACHE;
        if (e.readOnly()) {
            flags |= Nbd.TF_READ_ONLY;
        } else {
            flags |= Nbd.TF_SEND_TRIM | Nbd.TF_SEND_WRITE_ZEROES | Nbd.TF_SEND_FAST_ZERO;
        }
        if (structured) {
            flags |= Nbd.TF_SEND_DF;
        }
        // A flush is a commit of the whole volume: it makes every completed write of every
        // connection durable, which is what MULTI_CONN promises (unless the export says not to).
        if (e.multiConn()) {
            flags |= Nbd.TF_CAN_MULTI_CONN;
        }
        return new Result(e, size, flags, structured, List.of());
    }

    private void metaContext(int option, ByteBuffer data) throws IOException {
        String name;
        int queries;
        java.util.List<String> asked = new java.util.ArrayList<>();
        try {
            name = text(data, checkedLength(data, 4));
            queries = data.getInt();
            if (queries < 0 || queries > data.remaining() / 4) {
                throw new IllegalArgumentException(Integer.toUnsignedString(queries) + " queries in "
                        + data.remaining() + " bytes");
            }
            for (int i = 0; i < queries; i++) {
                asked.add(text(data, checkedLength(data, 4)));
            }
            if (data.hasRemaining()) {
                throw new IllegalArgumentException(data.remaining() + " bytes after the queries");
            }
        } catch (IllegalArgumentException | java.nio.BufferUnderflowException e) {
            wire.optionError(option, Nbd.REP_ERR_INVALID, "malformed request: " + e.getMessage());
            return;
        }
        if (!structured) {
            wire.optionError(option, Nbd.REP_ERR_INVALID, "meta contexts need structured replies first");
            return;
        }
        if (exports.apply(name) == null) {
            wire.optionError(option, Nbd.REP_ERR_UNKNOWN, "no export named '" + name + "'");
            return;
        }
        boolean set = option == Nbd.OPT_SET_META_CONTEXT;
        List<String> bitmaps;
        try {
            bitmaps = bitmapsOf(exports.apply(name));
        } catch (IOException e) {
            wire.optionError(option, Nbd.REP_ERR_UNKNOWN, "export '" + name + "' cannot be opened: " + e.getMessage());
            return;
        }
        java.util.LinkedHashSet<String> found = new java.util.LinkedHashSet<>();
        if (asked.isEmpty() && !set) {
            found.add(Nbd.BASE_ALLOCATION); // LIST with no query: every context this server has
            bitmaps.forEach(b -> found.add(Nbd.DIRTY_BITMAP + b));
        }
        for (String q : asked) {
            if (q.equals(Nbd.BASE_ALLOCATION) || (!set && (q.equals("base:") || q.equals("base:*")))) {
                found.add(Nbd.BASE_ALLOCATION);
            } else if (!set && (q.equals("qemu:") || q.equals(Nbd.DIRTY_BITMAP))) {
                bitmaps.forEach(b -> found.add(Nbd.DIRTY_BITMAP + b)); // qemu's wildcards
            } else if (q.startsWith(Nbd.DIRTY_BITMAP) && bitmaps.contains(q.substring(Nbd.DIRTY_BITMAP.length()))) {
                found.add(q);
            }
        }
        List<String> contexts = List.copyOf(found);
        if (set) {
            contextExport = contexts.isEmpty() ? null : name;
            selected = contexts;
        }
        for (int i = 0; i < contexts.size(); i++) {
            byte[] ctx = contexts.get(i).getBytes(StandardCharsets.UTF_8);
            ByteBuffer b = ByteBuffer.allocate(4 + ctx.length).putInt(set ? i + 1 : 0).put(ctx);
            wire.optionReply(option, Nbd.REP_META_CONTEXT, b.array());
        }
        wire.optionReply(option, Nbd.REP_ACK, new byte[0]);
    }

    /** The dirty bitmaps the export offers that its file has, by name. */
    private static List<String> bitmapsOf(Export e) throws IOException {
        List<String> names = new java.util.ArrayList<>();
        if (e.bitmaps().isEmpty()) {
            return names;
        }
        try (org.cowstack.storage.api.volume.FileHandle f = e.volume().open(e.path(),
                java.util.EnumSet.of(java.nio.file.StandardOpenOption.READ))) {
            for (org.cowstack.storage.api.bitmap.BitmapInfo b : f.bitmaps().list()) {
                if (e.bitmaps().contains(b.name())) {
                    names.add(b.name());
                }
            }
        }
        return names;
    }

    /** A length field and that many bytes must fit in what is left. */
    private static int checkedLength(ByteBuffer data, int fieldBytes) {
        if (data.remaining() < fieldBytes) {
            throw new IllegalArgumentException("truncated");
        }
        int n = data.getInt();
        if (n < 0 || n > data.remaining()) {
            throw new IllegalArgumentException("a string of " + Integer.toUnsignedString(n) + " bytes in "
                    + data.remaining());
        }
        return n;
    }

    /** {@code n} bytes of UTF-8 (the spec's strings): malformed bytes are refused. */
    private static String text(ByteBuffer data, int n) {
        ByteBuffer slice = data.slice(data.position(), n);
        data.position(data.position() + n);
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(slice).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a name that is not UTF-8");
        }
    }
}
