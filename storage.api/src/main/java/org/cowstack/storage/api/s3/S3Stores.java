package org.cowstack.storage.api.s3;

import java.io.IOException;
import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** The S3 stores of this framework: list, add, remove ({@code storage:s3}). */
@ProviderType
public interface S3Stores {
    /** The factory PID of a store's configuration; its metatype describes the fields. */
    String FACTORY_PID = "org.cowstack.storage.s3.store";

    /**
     * Every configured store with what is stored under its prefix (one LIST request per
     * thousand objects: a store that cannot be listed shows its error instead) and how its
     * open devices used their caches.
     */
    List<S3StoreInfo> stores();

    /**
     * Configures a store persistently (a factory configuration) and returns once
     * {@code s3:NAME} devices can be opened on it.
     *
     * @param createBucket create the bucket if it does not exist (an error if the
     *                     credentials may not)
     * @throws org.cowstack.storage.api.InvalidArgumentException for a name in use or not
     *         a plain name, an endpoint that is not an http or https URL, an object size
     *         that is not a power of two from 4 KiB to 1 GiB, or a bucket that cannot be
     *         reached with these credentials; one sentence naming it
     */
    S3StoreInfo add(S3StoreSettings settings, boolean createBucket) throws IOException;

    /**
     * Removes a store's configuration; devices open on it stay open until unmounted.
     *
     * @throws org.cowstack.storage.api.InvalidArgumentException when there is no such store
     */
    void remove(String name) throws IOException;
}
