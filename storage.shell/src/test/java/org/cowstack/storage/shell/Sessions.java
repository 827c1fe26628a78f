package org.cowstack.storage.shell;

import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.Map;

import org.apache.felix.service.command.CommandSession;

/** A Gogo session for unit tests: its variables, nothing else. */
final class Sessions {
    private Sessions() {
    }

    static CommandSession with(Map<String, Object> variables) {
        Map<String, Object> vars = new HashMap<>(variables);
        return (CommandSession) Proxy.newProxyInstance(Sessions.class.getClassLoader(),
                new Class<?>[] {CommandSession.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "get":
                            return vars.get((String) args[0]);
                        case "put":
                            return args[1] == null ? vars.remove((String) args[0]) : vars.put((String) args[0], args[1]);
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        case "toString":
                            return "session " + vars;
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    static CommandSession empty() {
        return with(Map.of());
    }
}
