package org.cowstack.storage.api.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.Map;
import java.util.Set;

import org.cowstack.storage.api.InvalidArgumentException;
import org.junit.jupiter.api.Test;

class DeviceUriTest {
    private static DeviceUri file(String uri) throws InvalidArgumentException {
        return DeviceUri.parse(URI.create(uri), "file", Set.of("direct", "size", "sync"));
    }

    @Test
    void relativeAbsoluteAndTripleSlashPaths() throws InvalidArgumentException {
        assertEquals("data/vol0.img", file("file:data/vol0.img").path());
        assertEquals("/var/vol0.img", file("file:/var/vol0.img").path());
        assertEquals("/var/vol0.img", file("file:///var/vol0.img").path());
        assertEquals("/var/my vol.img", file("file:/var/my%20vol.img").path());
        assertEquals("a+b.img", file("file:a+b.img").path(), "a plus is a plus, not a space");
    }

    @Test
    void queryParametersOnOpaqueAndHierarchicalUris() throws InvalidArgumentException {
        DeviceUri d = file("file:rel.img?direct&size=64m");
        assertEquals(Map.of("direct", "", "size", "64m"), d.params());
        assertTrue(d.flag("direct", false));
        assertEquals(64L << 20, d.size("size", 0));
        DeviceUri abs = file("file:///abs.img?direct=off");
        assertFalse(abs.flag("direct", true));
        assertEquals(7, abs.size("size", 7), "absent gives the default");
        assertEquals("auto", file("file:x?sync=AUTO").choice("sync", "off", Set.of("auto", "off")));
    }

    @Test
    void refusals() {
        assertThrows(InvalidArgumentException.class, () -> file("mem:x"), "another scheme");
        assertThrows(InvalidArgumentException.class, () -> file("file:?direct"), "no path");
        assertThrows(InvalidArgumentException.class, () -> file("file://host/x"), "a host");
        assertThrows(InvalidArgumentException.class, () -> file("file:x#frag"), "a fragment");
        assertThrows(InvalidArgumentException.class, () -> file("file:x?nosuch=1"), "unknown parameter");
        assertThrows(InvalidArgumentException.class, () -> file("file:x?size=1&size=2"), "a repeated parameter");
        assertThrows(InvalidArgumentException.class, () -> file("file:x?direct=maybe").flag("direct", false));
        assertThrows(InvalidArgumentException.class, () -> file("file:x?size=huge").size("size", 0));
        assertThrows(InvalidArgumentException.class,
                () -> file("file:x?sync=always").choice("sync", "off", Set.of("auto", "off")));
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class, () -> file("file:x?nosuch=1"));
        assertTrue(e.getMessage().contains("nosuch") && e.getMessage().contains("direct"), e.getMessage());
    }
}
