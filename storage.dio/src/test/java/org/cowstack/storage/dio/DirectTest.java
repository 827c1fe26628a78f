package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.testkit.DioStrategyContract;

class DirectTest extends DioStrategyContract {
    private final DioStrategy strategy = new Direct();

    @Override
    protected DioStrategy strategy() {
        return strategy;
    }

    @Override
    protected String expectedName() {
        return "direct";
    }
}
