package org.cowstack.storage.dio;

import org.cowstack.storage.api.dio.DioStrategy;
import org.cowstack.storage.testkit.DioStrategyContract;

class NoDataSumTest extends DioStrategyContract {
    private final DioStrategy strategy = new NoDataSum();

    @Override
    protected DioStrategy strategy() {
        return strategy;
    }

    @Override
    protected String expectedName() {
        return "nodatasum";
    }
}
