package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.testkit.DioStrategyContract;

class VerifyTest extends DioStrategyContract {
    private final DioStrategy strategy = new Verify();

    @Override
    protected DioStrategy strategy() {
        return strategy;
    }

    @Override
    protected String expectedName() {
        return "verify";
    }
}
