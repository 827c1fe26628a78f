package org.cowstack.storage.nbd;

/**
 * The numbers of the NBD protocol (the NetworkBlockDevice project's {@code doc/proto.md}):
 * magics, handshake flags, options and their replies, transmission flags, commands,
 * command flags, structured reply types and the error values on the wire.
 */
final class Nbd {
    private Nbd() {
    }

    static final long NBDMAGIC = 0x4e42444d41474943L;
    static final long IHAVEOPT = 0x49484156454F5054L;
    static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

    // handshake flags (server) and client flags
    static final int FLAG_FIXED_NEWSTYLE = 1;
    static final int FLAG_NO_ZEROES = 1 << 1;
    static final int CLIENT_FIXED_NEWSTYLE = 1;
    static final int CLIENT_NO_ZEROES = 1 << 1;

    // options
    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_STARTTLS = 5;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;
    static final int OPT_LIST_META_CONTEXT = 9;
    static final int OPT_SET_META_CONTEXT = 10;

    // option replies
    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    static final int REP_META_CONTEXT = 4;
    static final int REP_ERR_UNSUP = (1 << 31) + 1;
    static final int REP_ERR_POLICY = (1 << 31) + 2;
    static final int REP_ERR_INVALID = (1 << 31) + 3;
    static final int REP_ERR_TLS_REQD = (1 << 31) + 5;
    static final int REP_ERR_UNKNOWN = (1 << 31) + 6;
    static final int REP_ERR_TOO_BIG = (1 << 31) + 9;

    // information types of NBD_REP_INFO
    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    // transmission flags
    static final int TF_HAS_FLAGS = 1;
    static final int TF_READ_ONLY = 1 << 1;
    static final int TF_SEND_FLUSH = 1 << 2;
    static final int TF_SEND_FUA = 1 << 3;
    static final int TF_SEND_TRIM = 1 << 5;
    static final int TF_SEND_WRITE_ZEROES = 1 << 6;
    static final int TF_SEND_DF = 1 << 7;
    static final int TF_CAN_MULTI_CONN = 1 << 8;
    static final int TF_SEND_CACHE = 1 << 10;
    static final int TF_SEND_FAST_ZERO = 1 << 11;

    // commands
    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_CACHE = 5;
    static final int CMD_WRITE_ZEROES = 6;
    static final int CMD_BLOCK_STATUS = 7;

    // command flags
    static final int CMD_FLAG_FUA = 1;
    static final int CMD_FLAG_NO_HOLE = 1 << 1;
    static final int CMD_FLAG_DF = 1 << 2;
    static final int CMD_FLAG_REQ_ONE = 1 << 3;
    static final int CMD_FLAG_FAST_ZERO = 1 << 4;

    // structured replies
    static final int REPLY_FLAG_DONE = 1;
    static final int REPLY_NONE = 0;
    static final int REPLY_OFFSET_DATA = 1;
    static final int REPLY_OFFSET_HOLE = 2;
    static final int REPLY_BLOCK_STATUS = 5;
    static final int REPLY_ERROR = (1 << 15) + 1;
    static final int REPLY_ERROR_OFFSET = (1 << 15) + 2;

    // base:allocation
    static final int STATE_HOLE = 1;
    static final int STATE_ZERO = 1 << 1;
    static final String BASE_ALLOCATION = "base:allocation";
    /** qemu's namespace of dirty bitmaps: {@code qemu:dirty-bitmap:NAME}, a set bit (1) is dirty. */
    static final String DIRTY_BITMAP = "qemu:dirty-bitmap:";
    static final int STATE_DIRTY = 1;

    // errors on the wire (Linux values, as the protocol fixes them)
    static final int EPERM = 1;
    static final int EIO = 5;
    static final int ENOMEM = 12;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EOVERFLOW = 75;
    static final int ENOTSUP = 95;
    static final int ESHUTDOWN = 108;

    /** Largest option payload read: names, queries and info requests are short. */
    static final int MAX_OPTION = 64 << 10;
    /** Largest read or write one request may ask for (NBD_INFO_BLOCK_SIZE's maximum). */
    static final int MAX_PAYLOAD = 32 << 20;
    /** The id of base:allocation when it is the first (or only) context selected. */
    static final int CONTEXT_BASE_ALLOCATION = 1;
}
