package org.cowstack.storage.cow;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * The installed services of one kind, each under the key the engine selects it by (a
 * name, an on-disk id, a URI scheme), in the order they were bound. Several services may
 * share a key (a bundle offering a policy of a name another bundle offers too): a lookup
 * answers one of them, and when that one goes the next lookup answers one still
 * installed, so a departing service is replaced by another of the same key.
 *
 * <p>Lookups take no lock and see a snapshot; binds and unbinds are serialised.
 *
 * @param <K> the key, as read from the service properties (a record where there are two, such as a
 *            checksum algorithm's name and id)
 * @param <S> the service type
 */
final class ServiceTable<K, S> {
    /** Which of several services of one key a lookup answers. */
    enum Prefer {
        /** The one bound first: checksum algorithms, as the engine always looked them up. */
        FIRST_BOUND,
        /** The one bound last: a service bound later under a taken key shadows the earlier one. */
        LAST_BOUND
    }

    private record Row<K, S>(K key, S service) {
    }

    private final Prefer prefer;
    /** Immutable; replaced as a whole, in bind order. */
    private volatile List<Row<K, S>> rows = List.of();

    ServiceTable(Prefer prefer) {
        this.prefer = prefer;
    }

    synchronized void add(K key, S service) {
        List<Row<K, S>> next = new ArrayList<>(rows);
        next.add(new Row<>(key, service));
        rows = List.copyOf(next);
    }

    /**
     * Takes a service out (found by identity, as the framework hands the same object to
     * bind and unbind).
     *
     * @return the key it was installed under, or null when it was not installed
     */
    synchronized K remove(S service) {
        List<Row<K, S>> next = new ArrayList<>(rows);
        for (int i = 0; i < next.size(); i++) {
            if (next.get(i).service() == service) {
                K key = next.remove(i).key();
                rows = List.copyOf(next);
                return key;
            }
        }
        return null;
    }

    /** The installed service of this key, or null. */
    S get(K key) {
        return find(key::equals);
    }

    /** The installed service whose key matches, or null. */
    S find(Predicate<? super K> match) {
        S found = null;
        for (Row<K, S> r : rows) {
            if (match.test(r.key())) {
                if (prefer == Prefer.FIRST_BOUND) {
                    return r.service();
                }
                found = r.service();
            }
        }
        return found;
    }

    boolean contains(K key) {
        return get(key) != null;
    }

    /** The keys installed now, in bind order, with repeats (a snapshot). */
    List<K> keys() {
        List<K> out = new ArrayList<>();
        for (Row<K, S> r : rows) {
            out.add(r.key());
        }
        return Collections.unmodifiableList(out);
    }

    /** The services installed now, in bind order (a snapshot). */
    List<S> services() {
        List<S> out = new ArrayList<>();
        for (Row<K, S> r : rows) {
            out.add(r.service());
        }
        return Collections.unmodifiableList(out);
    }
}
