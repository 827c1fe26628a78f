package org.cowstack.storage.shell;

import java.lang.reflect.Proxy;
import java.util.Map;

import org.osgi.framework.ServiceReference;

/** Service references with properties and no bundle, as the shell's components see installed plug-ins. */
final class ServiceRefs {
    private ServiceRefs() {
    }

    @SuppressWarnings("unchecked")
    static <S> ServiceReference<S> of(Map<String, Object> properties) {
        return (ServiceReference<S>) Proxy.newProxyInstance(ServiceRefs.class.getClassLoader(),
                new Class<?>[] {ServiceReference.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getProperty":
                            return properties.get((String) args[0]);
                        case "getPropertyKeys":
                            return properties.keySet().toArray(new String[0]);
                        case "getBundle":
                            return null;
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        case "toString":
                            return "service " + properties;
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}
