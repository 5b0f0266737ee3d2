package io.multiconnect.dataplane.webapp;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.multiconnect.client.AdminClient;
import io.multiconnect.common.tls.PemIdentity;
import io.multiconnect.proto.v1.SetExternalCertificateRequest;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The On-Premises API's webapp certificate: {@code POST /v1/certificates/external} (the admin
 * uploads, as {@code text/plain}, the private key, the certificate and at least one intermediate CA
 * certificate; the masters keep it and every webapp that serves HTTPS takes it within its refresh
 * period, no restart) and {@code GET /v1/certificates/external/ca} (the intermediates, 404 with no
 * body when nothing was uploaded).
 */
final class CertificateRoutes {
  private final Function<Context, AdminClient> asCaller;
  private final Supplier<String> uploaded;

  CertificateRoutes(Function<Context, AdminClient> asCaller, Supplier<String> uploaded) {
    this.asCaller = asCaller;
    this.uploaded = uploaded;
  }

  void register(RoutesConfig routes) {
    routes.post("/v1/certificates/external", this::upload);
    routes.get("/v1/certificates/external/ca", this::ca);
  }

  private void upload(Context ctx) {
    Auth.requireAdmin(ctx, "upload certificates");
    String pem = ctx.body();
    if (pem.isBlank()) {
      throw ApiError.absent("certificate").failure();
    }
    asCaller
        .apply(ctx)
        .call(
            s ->
                s.setExternalCertificate(
                    SetExternalCertificateRequest.newBuilder().setPem(pem).build()));
    ctx.contentType("application/json").result("null");
  }

  private void ca(Context ctx) throws GeneralSecurityException, IOException {
    String pem = uploaded.get();
    if (pem.isEmpty()) {
      ctx.status(404);
      return;
    }
    X509Certificate[] chain = PemIdentity.parseBundle(pem, "the uploaded certificate").chain();
    StringBuilder out = new StringBuilder();
    for (int i = 1; i < chain.length; i++) {
      out.append("-----BEGIN CERTIFICATE-----\n")
          .append(
              Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(chain[i].getEncoded()))
          .append("\n-----END CERTIFICATE-----\n");
    }
    ctx.contentType("text/plain").result(out.toString());
  }
}
