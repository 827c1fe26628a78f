package org.cowstack.storage.nbd;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/**
 * One NBD export, a factory configuration of {@value NbdExports#FACTORY_PID}: which file
 * of which volume, under which name, where.
 */
@ObjectClassDefinition(name = "NBD export", description = "A file of a mounted volume served over NBD")
@interface ExportConfiguration {
    @AttributeDefinition(description = "Name of the mounted volume")
    String volume();

    @AttributeDefinition(description = "Absolute path of the file in the volume")
    String path();

    @AttributeDefinition(required = false, description = "Export name clients ask for; default: the path without "
            + "its leading /")
    String name() default "";

    @AttributeDefinition(description = "Refuse writes, trims and zeroes (EPERM)")
    boolean readOnly() default false;

    @AttributeDefinition(description = "Address to listen on; other than loopback only with tlsCreds")
    String address() default "127.0.0.1";

    @AttributeDefinition(description = "TCP port (10809 is NBD's)")
    int port() default 10809;

    @AttributeDefinition(required = false, description = "Shown to clients that list exports")
    String description() default "";

    @AttributeDefinition(required = false, description = "Dirty bitmaps of the file offered as qemu:dirty-bitmap:NAME "
            + "contexts; busy while exported")
    String[] bitmaps() default {};

    @AttributeDefinition(required = false, description = "Advertise NBD_FLAG_CAN_MULTI_CONN: a flush on one "
            + "connection makes every completed write of every connection durable (it does: a flush commits the "
            + "volume); off tells clients to use one connection")
    boolean multiConn() default true;

    @AttributeDefinition(required = false, description = "Directory of TLS credentials as qemu's --tls-creds reads "
            + "it (ca-cert.pem, server-cert.pem, server-key.pem): clients must then use TLS, and with a "
            + "ca-cert.pem a client certificate that CA signed; empty: no TLS (loopback only)")
    String tlsCreds() default "";
}
