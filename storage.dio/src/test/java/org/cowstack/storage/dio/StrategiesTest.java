package org.cowstack.storage.dio;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DirectWrite;
import org.junit.jupiter.api.Test;

/** The decision table of every strategy in this bundle. */
class StrategiesTest {
    private record Facts(boolean aligned, boolean checksummed, boolean nocow, boolean shared) implements DirectWrite {
        @Override
        public String volume() {
            return "v";
        }

        @Override
        public String path() {
            return "/f";
        }

        @Override
        public long offset() {
            return 0;
        }

        @Override
        public long length() {
            return 4096;
        }
    }

    private static final Map<String, DioMode> OWN = Map.of("buffered", DioMode.BUFFERED, "bounce", DioMode.BOUNCE,
            "nodatasum", DioMode.NODATASUM, "verify", DioMode.VERIFY, "direct", DioMode.DIRECT);

    @Test
    void eachStrategyChoosesItsModeForAlignedChecksummedWritesAndTheForcedOnesOtherwise() {
        List<DioStrategy> all = List.of(new Buffered(), new Bounce(), new NoDataSum(), new Verify(), new Direct());
        assertEquals(OWN.keySet(), Set.copyOf(all.stream().map(DioStrategy::name).toList()));
        for (DioStrategy s : all) {
            for (boolean nocow : new boolean[] {false, true}) {
                for (boolean shared : new boolean[] {false, true}) {
                    assertEquals(OWN.get(s.name()), s.choose(new Facts(true, true, nocow, shared)), s.name());
                    assertEquals(DioMode.BUFFERED, s.choose(new Facts(false, true, nocow, shared)), s.name());
                    assertEquals(DioMode.BUFFERED, s.choose(new Facts(false, false, nocow, shared)), s.name());
                    assertEquals(DioMode.NODATASUM, s.choose(new Facts(true, false, nocow, shared)), s.name());
                }
            }
        }
    }
}
