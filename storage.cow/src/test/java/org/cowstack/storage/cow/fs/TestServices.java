package org.cowstack.storage.cow.fs;

import java.util.List;

import org.cowstack.storage.alloc.FirstFit;
import org.cowstack.storage.api.alloc.AllocationPolicy;
import org.cowstack.storage.api.csum.ChecksumAlgorithm;
import org.cowstack.storage.csum.Blake2b256;
import org.cowstack.storage.csum.Crc32c;
import org.cowstack.storage.csum.Sha256;
import org.cowstack.storage.csum.XxHash64;

/** The services a volume needs, as plain objects: what OSGi would provide. */
final class TestServices implements VolumeServices {
    private final List<ChecksumAlgorithm> algorithms = List.of(new Crc32c(), new XxHash64(), new Sha256(),
            new Blake2b256());
    private final AllocationPolicy firstFit = new FirstFit();

    @Override
    public ChecksumAlgorithm checksum(int id) {
        return algorithms.stream().filter(a -> a.id() == id).findFirst().orElse(null);
    }

    @Override
    public ChecksumAlgorithm checksum(String name) {
        return algorithms.stream().filter(a -> a.name().equals(name)).findFirst().orElse(null);
    }

    @Override
    public AllocationPolicy allocationPolicy(String name) {
        return firstFit.name().equals(name) ? firstFit : null;
    }
}
