package org.cowstack.storage.s3.device;

import org.cowstack.storage.api.s3.S3StoreSettings;
import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.AttributeType;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One S3 store, a factory configuration of {@value org.cowstack.storage.api.s3.S3Stores#FACTORY_PID}:
 * where {@code s3:NAME[/VOLUME]} devices keep their objects, and with which credentials.
 */
@ObjectClassDefinition(name = "S3 store", description = "A bucket and prefix on an S3-compatible server that s3:NAME "
        + "devices live on")
@interface S3StoreConfiguration {
    @AttributeDefinition(description = "The store's name, as in s3:NAME[/VOLUME]")
    String name();

    @AttributeDefinition(description = "The server's base URL, http(s)://host[:port]; requests are path-style")
    String endpoint();

    @AttributeDefinition(required = false, description = "The region requests are signed for")
    String region() default "us-east-1";

    @AttributeDefinition(description = "The bucket")
    String bucket();

    @AttributeDefinition(required = false, description = "Key prefix under which this store's devices live")
    String prefix() default "";

    @AttributeDefinition(required = false, description = "Bytes per object of new devices, a power of two from 4 KiB "
            + "to 1 GiB")
    int objectSize() default S3StoreSettings.DEFAULT_OBJECT_SIZE;

    @AttributeDefinition(required = false, description = "Bytes of local write-back and read cache per open device")
    long cacheSize() default S3StoreSettings.DEFAULT_CACHE_BYTES;

    @AttributeDefinition(required = false, description = "Directory of the cache files; empty: s3-cache under "
            + "STORAGE_HOME, or the bundle's data area")
    String cacheDir() default "";

    @AttributeDefinition(required = false, description = "Objects uploaded at once by a flush")
    int parallelUploads() default 8;

    @AttributeDefinition(required = false, description = "Generations a replaced object is kept for readers of "
            + "older generations")
    int retainGenerations() default S3Store.DEFAULT_RETAIN;

    @AttributeDefinition(description = "Access key id")
    String accessKey();

    @AttributeDefinition(type = AttributeType.PASSWORD, description = "Secret access key")
    String secretKey();
}
