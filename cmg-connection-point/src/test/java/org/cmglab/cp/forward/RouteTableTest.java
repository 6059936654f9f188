package org.cmglab.cp.forward;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.cmglab.proto.config.RoleRoute;
import org.junit.jupiter.api.Test;

/** The external → internal URL rewrite of cmg-facts.md §1.4. */
class RouteTableTest {
    static final String MP_ROLE = "72057594037927939";
    static final String SUP_ROLE = "72057594037927940";

    final RouteTable routes = new RouteTable(List.of(
            new RoleRoute(MP_ROLE, "MP", "https://mp01.corp.contoso.com"),
            new RoleRoute(SUP_ROLE, "SUP", "http://sup01.corp.contoso.com:8530"),
            new RoleRoute("123", "MP", "https://mp02.corp.contoso.com:8443"),
            new RoleRoute("124", "MP", "https://mp03.corp.contoso.com:443"),
            new RoleRoute("125", "MP", "http://mp04.corp.contoso.com:80")));

    @Test
    void mutualAuthPrefixIsCaseInsensitiveAndKeepsTheRestVerbatim() {
        RouteTable.Target t = routes.resolve("/CCM_PROXY_MUTUALAUTH/" + MP_ROLE + "/SMS_MP/.sms_aut?SITESIGNCERT");
        assertThat(t).isNotNull();
        assertThat(t.path()).isEqualTo("/SMS_MP/.sms_aut?SITESIGNCERT");
        assertThat(t.internalUrl()).isEqualTo("https://mp01.corp.contoso.com/SMS_MP/.sms_aut?SITESIGNCERT");
        assertThat(t.backend().route().kind()).isEqualTo("MP");

        RouteTable.Target lower = routes.resolve("/ccm_proxy_mutualauth/" + MP_ROLE + "/SMS_MP/.sms_pol?{A}.SHA256:AB");
        assertThat(lower.internalUrl()).isEqualTo("https://mp01.corp.contoso.com/SMS_MP/.sms_pol?{A}.SHA256:AB");
    }

    @Test
    void serverAuthPrefixMapsToTheSameBackend() {
        RouteTable.Target t = routes.resolve("/CCM_Proxy_ServerAuth/" + MP_ROLE + "/CCM_STS");
        assertThat(t.internalUrl()).isEqualTo("https://mp01.corp.contoso.com/CCM_STS");
        assertThat(t.backend().https()).isTrue();
        assertThat(t.backend().port()).isEqualTo(443);
        assertThat(t.backend().key()).isEqualTo("https://mp01.corp.contoso.com:443");
    }

    @Test
    void internalUrlCarriesThePortOnlyWhenItIsNotTheDefault() {
        RouteTable.Target sup = routes.resolve("/CCM_Proxy_MutualAuth/" + SUP_ROLE + "/ClientWebService/client.asmx");
        assertThat(sup.internalUrl()).isEqualTo("http://sup01.corp.contoso.com:8530/ClientWebService/client.asmx");
        assertThat(sup.backend().https()).isFalse();
        assertThat(sup.backend().hostHeader()).isEqualTo("sup01.corp.contoso.com:8530");

        assertThat(routes.resolve("/CCM_Proxy_MutualAuth/123/CCM_STS").internalUrl())
                .isEqualTo("https://mp02.corp.contoso.com:8443/CCM_STS");
        assertThat(routes.resolve("/CCM_Proxy_MutualAuth/124/CCM_STS").backend().hostHeader())
                .isEqualTo("mp03.corp.contoso.com");
        assertThat(routes.resolve("/CCM_Proxy_MutualAuth/125/CCM_STS").internalUrl())
                .isEqualTo("http://mp04.corp.contoso.com/CCM_STS");
    }

    @Test
    void unknownRolesAndOtherPathsHaveNoRoute() {
        assertThat(routes.resolve("/CCM_Proxy_MutualAuth/1/x")).isNull();
        assertThat(routes.resolve("/CCM_Proxy_MutualAuth/1234/x")).as("123 is not a prefix match of 1234").isNull();
        assertThat(routes.resolve("/CCM_Proxy_MutualAuth/123abc/x")).isNull();
        assertThat(routes.resolve("/CCM_Proxy_MutualAuth//x")).isNull();
        assertThat(routes.resolve("/CCM_Proxy_MutualAuth")).isNull();
        assertThat(routes.resolve("/SMS_MP/.sms_aut?MPLIST")).isNull();
        assertThat(routes.resolve("/CCM_Proxy_Other/" + MP_ROLE + "/x")).isNull();
    }

    @Test
    void roleIdWithoutRestMapsToTheRoot() {
        RouteTable.Target t = routes.resolve("/CCM_Proxy_MutualAuth/123");
        assertThat(t.path()).isEqualTo("/");
        assertThat(t.internalUrl()).isEqualTo("https://mp02.corp.contoso.com:8443/");
    }

    @Test
    void routesAreListedInConfigurationOrder() {
        assertThat(routes.routes()).extracting(RoleRoute::roleId).containsExactly(MP_ROLE, SUP_ROLE, "123", "124", "125");
    }

    @org.junit.jupiter.api.Test
    void queryRightAfterTheRoleIdKeepsTheQueryOnTheRootPath() {
        RouteTable t = new RouteTable(java.util.List.of(new org.cmglab.proto.config.RoleRoute("123", "MP",
                "https://mp01.corp.contoso.com")));
        org.assertj.core.api.Assertions.assertThat(t.resolve("/CCM_Proxy_MutualAuth/123?x").path()).isEqualTo("/?x");
    }

    @Test
    void aSecondRoleIsRewrittenToItsOwnBackend() {
        RouteTable lab = new RouteTable(List.of(new RoleRoute(MP_ROLE, "MP", "https://mp01.corp.contoso.com:443"),
                new RoleRoute("72057594037927941", "SUP", "https://sup01.corp.contoso.com:8531")));
        RouteTable.Target sup = lab.resolve("/CCM_Proxy_MutualAuth/72057594037927941/ClientWebService/client.asmx");
        assertThat(sup.internalUrl()).isEqualTo("https://sup01.corp.contoso.com:8531/ClientWebService/client.asmx");
        assertThat(sup.backend().hostHeader()).isEqualTo("sup01.corp.contoso.com:8531");
        assertThat(sup.backend().route().kind()).isEqualTo("SUP");
        RouteTable.Target mp = lab.resolve("/CCM_Proxy_MutualAuth/" + MP_ROLE + "/SMS_MP/.sms_aut?MPLIST");
        assertThat(mp.internalUrl()).isEqualTo("https://mp01.corp.contoso.com/SMS_MP/.sms_aut?MPLIST");
        assertThat(lab.resolve("/CCM_Proxy_MutualAuth/72057594037927942/ClientWebService/client.asmx")).isNull();
    }
}
