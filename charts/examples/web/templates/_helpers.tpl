<%_ /* Named templates of the web chart: its names and labels (Helm's _helpers.tpl, in eta). */ _%>
<%_ define("web.name", (ctx) => { _%>
<%= trimSuffix("-", trunc(63, dflt(ctx.Chart.Name, ctx.Values.nameOverride))) %>
<%_ }) _%>

<%_ /* The release name, with the chart's name appended unless the release name already contains it. */ _%>
<%_ define("web.fullname", (ctx) => {
  const name = include("web.name", ctx);
  const full = ctx.Values.fullnameOverride || (ctx.Release.Name.includes(name) ? ctx.Release.Name : `${ctx.Release.Name}-${name}`);
_%>
<%= trimSuffix("-", trunc(63, full)) %>
<%_ }) _%>

<%_ define("web.selectorLabels", (ctx) => { _%>
app.kubernetes.io/name: <%= include("web.name", ctx) %>
app.kubernetes.io/instance: <%= ctx.Release.Name %>
<%_ }) _%>

<%_ define("web.labels", (ctx) => { _%>
kubeplane.io/chart: <%= `${ctx.Chart.Name}-${ctx.Chart.Version}` %>
<%= include("web.selectorLabels", ctx) %>
app.kubernetes.io/version: <%= quote(ctx.Chart.AppVersion) %>
app.kubernetes.io/managed-by: <%= ctx.Release.Service %>
<%_ }) _%>
