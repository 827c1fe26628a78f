package org.cowstack.storage.cow;

import java.util.function.Supplier;

import org.osgi.service.log.Logger;

/**
 * The engine's log, shared by the volume manager's collaborators. The {@link Logger}
 * comes from an optional, dynamic reference that may come, go or change between two
 * messages, so every message reads it once and is dropped while no log service is
 * installed: logging never makes an operation fail or wait.
 */
final class EngineLog {
    private final Supplier<Logger> logger;

    /** @param logger answers the logger bound now, or null while there is none */
    EngineLog(Supplier<Logger> logger) {
        this.logger = logger;
    }

    /** A log that drops every message: for collaborators used outside the framework, such as in tests. */
    static EngineLog none() {
        return new EngineLog(() -> null);
    }

    void info(String message) {
        Logger l = logger.get();
        if (l != null) {
            l.info(message);
        }
    }

    void warn(String message) {
        Logger l = logger.get();
        if (l != null) {
            l.warn(message);
        }
    }

    void error(String message) {
        Logger l = logger.get();
        if (l != null) {
            l.error(message);
        }
    }
}
