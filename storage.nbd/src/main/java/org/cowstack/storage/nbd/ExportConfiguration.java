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

    @AttributeDefinition(description = "Address to listen on; only loopback until TLS is offered")
    String address() default "127.0.0.1";

    @AttributeDefinition(description = "TCP port (10809 is NBD's)")
    int port() default 10809;

    @AttributeDefinition(required = false, description = "Shown to clients that list exports")
    String description() default "";

    @AttributeDefinition(required = false, description = "Dirty bitmaps of the file offered as qemu:dirty-bitmap:NAME "
            + "contexts; busy while exported")
    String[] bitmaps() default {};
}
