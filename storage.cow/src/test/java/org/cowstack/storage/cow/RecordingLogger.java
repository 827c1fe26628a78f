package org.cowstack.storage.cow;

import java.lang.reflect.Proxy;
import java.util.List;

import org.osgi.service.log.Logger;

/** A log for tests that keeps the warnings it is given and drops every other message. */
final class RecordingLogger {
    private RecordingLogger() {
    }

    /** An engine log whose warnings are added to {@code warnings}, the rest dropped. */
    static EngineLog log(List<String> warnings) {
        Logger logger = (Logger) Proxy.newProxyInstance(RecordingLogger.class.getClassLoader(),
                new Class<?>[] {Logger.class}, (proxy, method, args) -> {
                    if (method.getName().equals("warn") && args.length == 1 && args[0] instanceof String m) {
                        synchronized (warnings) {
                            warnings.add(m);
                        }
                    }
                    Class<?> type = method.getReturnType();
                    return type == boolean.class ? Boolean.TRUE : type == String.class ? "test" : null;
                });
        return new EngineLog(() -> logger);
    }
}
