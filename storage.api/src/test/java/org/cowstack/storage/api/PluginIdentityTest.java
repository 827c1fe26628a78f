package org.cowstack.storage.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;

import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.alloc.AllocationPolicyService;
import org.cowstack.storage.api.alloc.AllocationRequest;
import org.cowstack.storage.api.alloc.Extent;
import org.cowstack.storage.api.alloc.FreeSpaceView;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.api.csum.ChecksumAlgorithmService;
import org.cowstack.storage.api.device.BlockDevice;
import org.cowstack.storage.api.device.DeviceProvider;
import org.cowstack.storage.api.device.DeviceProviderService;
import org.cowstack.storage.api.device.OpenOptions;
import org.cowstack.storage.api.dio.DioMode;
import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.api.dio.DioStrategyService;
import org.cowstack.storage.api.dio.DirectWrite;
import org.junit.jupiter.api.Test;

/** A plug-in's identity is read from its component property type annotation, or fails saying which is missing. */
class PluginIdentityTest {

    @AllocationPolicyService(name = "annotated-policy")
    static class AnnotatedPolicy implements AllocationPolicy {
        @Override
        public Extent allocate(FreeSpaceView free, AllocationRequest request) {
            return new Extent(0, 1);
        }
    }

    /** Not annotated itself: component property types are not inherited, by DS or here. */
    static final class SubclassedPolicy extends AnnotatedPolicy {
    }

    @DioStrategyService(name = "annotated-strategy")
    static final class AnnotatedStrategy implements DioStrategy {
        @Override
        public DioMode choose(DirectWrite write) {
            return DioMode.BUFFERED;
        }
    }

    @ChecksumAlgorithmService(name = "annotated-csum", id = 4242, digest_length = 3)
    static final class AnnotatedChecksum implements ChecksumAlgorithm {
        @Override
        public void digest(ByteBuffer data, byte[] out, int offset) {
        }
    }

    @DeviceProviderService(scheme = "annotated")
    static class AnnotatedProvider implements DeviceProvider {
        @Override
        public BlockDevice open(URI uri, OpenOptions options) throws IOException {
            throw new IOException("not a real provider");
        }

        @Override
        public String description() {
            return "test";
        }
    }

    static final class UnannotatedProvider extends AnnotatedProvider {
    }

    @Test
    void identityComesFromTheAnnotation() {
        assertEquals("annotated-policy", new AnnotatedPolicy().name());
        assertEquals("annotated-strategy", new AnnotatedStrategy().name());
        ChecksumAlgorithm a = new AnnotatedChecksum();
        assertEquals("annotated-csum", a.name());
        assertEquals(4242, a.id());
        assertEquals(3, a.digestLength());
        assertEquals(3, a.digest(ByteBuffer.allocate(0)).length, "the convenience digest is digestLength() long");
        assertEquals("annotated", new AnnotatedProvider().scheme());
    }

    @Test
    void anOverrideStillWins() {
        AllocationPolicy named = new AllocationPolicy() {
            @Override
            public String name() {
                return "overridden";
            }

            @Override
            public Extent allocate(FreeSpaceView free, AllocationRequest request) {
                return new Extent(0, 1);
            }
        };
        assertEquals("overridden", named.name());
    }

    @Test
    void withoutTheAnnotationTheMessageNamesTheClassAndTheAnnotation() {
        IllegalStateException policy = assertThrows(IllegalStateException.class, () -> new SubclassedPolicy().name());
        assertEquals(SubclassedPolicy.class.getName() + " implements AllocationPolicy without an"
                + " @AllocationPolicyService annotation, so it has no name: annotate the class or override name()",
                policy.getMessage());

        DioStrategy lambda = w -> DioMode.BUFFERED;
        IllegalStateException strategy = assertThrows(IllegalStateException.class, lambda::name);
        assertEquals(lambda.getClass().getName() + " implements DioStrategy without a @DioStrategyService"
                + " annotation, so it has no name: annotate the class or override name()", strategy.getMessage());

        ChecksumAlgorithm bare = (data, out, offset) -> { };
        for (org.junit.jupiter.api.function.Executable identity : new org.junit.jupiter.api.function.Executable[] {
                bare::name, bare::id, bare::digestLength}) {
            IllegalStateException csum = assertThrows(IllegalStateException.class, identity);
            assertEquals(bare.getClass().getName() + " implements ChecksumAlgorithm without a"
                    + " @ChecksumAlgorithmService annotation, so it has no name, id or digest length: annotate the"
                    + " class or override name(), id() and digestLength()", csum.getMessage());
        }

        IllegalStateException device = assertThrows(IllegalStateException.class,
                () -> new UnannotatedProvider().scheme());
        assertEquals(UnannotatedProvider.class.getName() + " implements DeviceProvider without a"
                + " @DeviceProviderService annotation, so it has no scheme: annotate the class or override scheme()",
                device.getMessage());
    }
}
