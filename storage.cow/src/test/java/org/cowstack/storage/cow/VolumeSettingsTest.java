package org.cowstack.storage.cow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

import org.cowstack.storage.api.InvalidArgumentException;
import org.cowstack.storage.api.volume.MountOptions;
import org.junit.jupiter.api.Test;

/** Volume configurations as Config Admin hands them over: typed, as strings, or wrong. */
class VolumeSettingsTest {
    private static Map<String, Object> minimal() {
        Map<String, Object> p = new HashMap<>();
        p.put("name", "v");
        p.put("device", "file:/tmp/v.img");
        return p;
    }

    @Test
    void absentKeysTakeTheMountDefaults() throws Exception {
        VolumeSettings s = VolumeSettings.read(minimal());
        assertEquals("v", s.name());
        assertEquals(URI.create("file:/tmp/v.img"), s.device());
        assertEquals(MountOptions.defaults(), s.options());
    }

    @Test
    void whatIsWrittenReadsBackTheSame() throws Exception {
        Map<String, Object> p = minimal();
        p.put("readOnly", "true"); // as a file or the cm command would give it
        p.put("commitIntervalMillis", "500");
        p.put("suspendTimeoutMillis", 0);
        p.put("allocationPolicy", "next-fit");
        p.put("checksum", "xxhash64");
        VolumeSettings s = VolumeSettings.read(p);
        assertEquals(MountOptions.defaults().readOnly(true).allocationPolicy("next-fit").checksum("xxhash64")
                .commitInterval(java.time.Duration.ofMillis(500)).suspendTimeout(java.time.Duration.ZERO), s.options());
        assertEquals(s, VolumeSettings.read(Collections.list(s.properties().keys()).stream()
                .collect(java.util.stream.Collectors.toMap(k -> k, k -> s.properties().get(k)))));
    }

    @Test
    void malformedValuesAreNamed() {
        Map<String, String> wrong = Map.of("device", "no scheme here", "readOnly", "perhaps", "commitIntervalMillis",
                "soon", "suspendTimeoutMillis", "-5", "dioStrategy", "");
        Map<String, String> message = Map.of(
                "device", "device: no scheme here (expected: a URI (Illegal character in path))",
                "readOnly", "readOnly: perhaps (expected: true or false)",
                "commitIntervalMillis", "commitIntervalMillis: soon (expected: a whole number of milliseconds >= 1)",
                "suspendTimeoutMillis", "suspendTimeoutMillis: -5 (expected: a whole number of milliseconds >= 0)");
        for (Map.Entry<String, String> e : message.entrySet()) {
            Map<String, Object> p = minimal();
            p.put(e.getKey(), wrong.get(e.getKey()));
            InvalidArgumentException x = assertThrows(InvalidArgumentException.class, () -> VolumeSettings.read(p));
            assertEquals(e.getValue(), x.getMessage());
        }
        Map<String, Object> noDevice = minimal();
        noDevice.remove("device");
        assertEquals("device: null (expected: a value (the configuration has none))",
                assertThrows(InvalidArgumentException.class, () -> VolumeSettings.read(noDevice)).getMessage());
        Map<String, Object> notText = minimal();
        notText.put("allocationPolicy", 7);
        assertEquals("allocationPolicy: 7 (expected: a string)",
                assertThrows(InvalidArgumentException.class, () -> VolumeSettings.read(notText)).getMessage());
    }
}
