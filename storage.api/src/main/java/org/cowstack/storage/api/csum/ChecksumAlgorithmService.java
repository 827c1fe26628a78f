package org.cowstack.storage.api.csum;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.osgi.service.component.annotations.ComponentPropertyType;

/**
 * Component property type for {@link ChecksumAlgorithm} components: sets the
 * {@value ChecksumAlgorithm#NAME}, {@value ChecksumAlgorithm#ID} and
 * {@value ChecksumAlgorithm#DIGEST_LENGTH} service properties so that consumers can
 * select an algorithm by id without getting the service, and is where
 * {@link ChecksumAlgorithm#name()}, {@link ChecksumAlgorithm#id()} and
 * {@link ChecksumAlgorithm#digestLength()} read them from. The identity is declared
 * here and nowhere else.
 *
 * <pre>
 * &#64;Component(service = ChecksumAlgorithm.class)
 * &#64;ChecksumAlgorithmService(name = "crc32c", id = 0, digest_length = 4)
 * public final class Crc32c implements ChecksumAlgorithm { ... }
 * </pre>
 *
 * <p>Retained at run time so that the methods of {@link ChecksumAlgorithm} can read it
 * from the implementing class.
 */
@ComponentPropertyType
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface ChecksumAlgorithmService {
    /** Prefix that maps {@code name} to {@value ChecksumAlgorithm#NAME} and so on. */
    String PREFIX_ = "storage.csum.";

    /** {@link ChecksumAlgorithm#name()}. */
    String name();

    /** {@link ChecksumAlgorithm#id()}. */
    int id();

    /** {@link ChecksumAlgorithm#digestLength()}; the underscore maps to a dot. */
    int digest_length();
}
