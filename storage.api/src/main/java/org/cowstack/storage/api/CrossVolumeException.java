package org.cowstack.storage.api;

/**
 * The operation joins two files of different volumes, which cannot share blocks
 * (EXDEV): a clone or dedupe between volumes. Nothing was changed.
 */
public class CrossVolumeException extends StorageException {
    private static final long serialVersionUID = 1L;

    /**
     * @param operation what was asked, such as "clone range"
     * @param source    the source file and its volume
     * @param target    the target file and its volume
     */
    public CrossVolumeException(String operation, String source, String target) {
        super(operation + ": " + source + " and " + target + " are on different volumes; blocks are shared only"
                + " within one volume (copy the data instead)");
    }
}
