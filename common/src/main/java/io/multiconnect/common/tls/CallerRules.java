package io.multiconnect.common.tls;

import com.google.common.net.InetAddresses;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.multiconnect.common.tls.NodeIdentity.Role;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Who may call what on one server: per method, the roles allowed; a method not listed is refused.
 * With TLS on, {@link #interceptor} takes the caller's identity from its certificate, refuses a
 * call whose certificate names none ({@code UNAUTHENTICATED}) or whose role is not allowed ({@code
 * PERMISSION_DENIED}, naming both), and makes the identity {@link #caller()} for the handler. With
 * TLS off (an explicit, logged choice) every call passes and nobody is known.
 *
 * <p>Not thread-safe while rules are added; build it before the server starts.
 */
public final class CallerRules {
  private static final Context.Key<NodeIdentity> CALLER = Context.key("multiconnect-caller");
  private static final Context.Key<X509Certificate> CERTIFICATE =
      Context.key("multiconnect-caller-certificate");

  /** The subjectAltName types of DNS names and IP addresses (RFC 5280). */
  private static final Set<Integer> HOST_NAMES = Set.of(2, 7);

  private final Map<String, Set<Role>> byMethod = new HashMap<>();

  /** Lets {@code roles} call {@code method}. */
  public CallerRules allow(MethodDescriptor<?, ?> method, Role first, Role... more) {
    byMethod
        .computeIfAbsent(method.getFullMethodName(), k -> EnumSet.noneOf(Role.class))
        .addAll(EnumSet.of(first, more));
    return this;
  }

  /** Lets {@code roles} call every method of {@code service}. */
  public CallerRules allowService(ServiceDescriptor service, Role first, Role... more) {
    for (MethodDescriptor<?, ?> m : service.getMethods()) {
      allow(m, first, more);
    }
    return this;
  }

  /**
   * The services every node serves beside its own: gRPC health checks for any node or tool of the
   * cluster, server reflection for admin tools.
   */
  public CallerRules allowHealthAndReflection() {
    allowService(HealthGrpc.getServiceDescriptor(), Role.ADMIN, Role.values());
    return allowService(ServerReflectionGrpc.getServiceDescriptor(), Role.ADMIN);
  }

  /** The identity of the node calling the current handler; empty with TLS off. */
  public static Optional<NodeIdentity> caller() {
    return Optional.ofNullable(CALLER.get());
  }

  /**
   * Refuses ({@code PERMISSION_DENIED}) a call that names {@code claimedId} of {@code role} in its
   * request when its certificate names another node: a coreapp registers, heartbeats and releases
   * only as itself. No relays: see {@link #requireSelf(Role, String, Predicate)}.
   */
  public static void requireSelf(Role role, String claimedId) {
    requireSelf(role, claimedId, id -> false);
  }

  /**
   * As {@link #requireSelf(Role, String)}, but a master whose id {@code relays} accepts (a member
   * of the group) may relay any node's request: it checked the node's certificate when the node
   * called it. A master certificate of a non-member is refused like any other. Nothing to check
   * with TLS off.
   */
  public static void requireSelf(Role role, String claimedId, Predicate<String> relays) {
    Optional<NodeIdentity> caller = caller();
    if (caller.isEmpty() || isRelay(caller.get(), relays)) {
      return;
    }
    if (!(caller.get().role() == role && caller.get().id().equals(claimedId))) {
      throw new StatusRuntimeException(
          Status.PERMISSION_DENIED.withDescription(
              caller.get()
                  + " may not act as "
                  + role.label()
                  + "/"
                  + claimedId
                  + (caller.get().role() == Role.MASTER ? " (not a member of the group)" : "")));
    }
  }

  private static boolean isRelay(NodeIdentity caller, Predicate<String> relays) {
    return caller.role() == Role.MASTER && relays.test(caller.id());
  }

  /**
   * Refuses ({@code PERMISSION_DENIED}) an address whose host the caller's certificate does not
   * name: a coreapp registers only an address it can serve TLS at, so nobody can point the webapps
   * at another machine. A member master ({@code relays}) relaying a registration is not checked
   * again. Nothing to check with TLS off.
   */
  public static void requireHost(String host, Predicate<String> relays) {
    Optional<NodeIdentity> caller = caller();
    if (caller.isEmpty() || isRelay(caller.get(), relays)) {
      return;
    }
    boolean named = namesHost(CERTIFICATE.get(), host);
    if (!named) {
      throw new StatusRuntimeException(
          Status.PERMISSION_DENIED.withDescription(
              caller.get() + "'s certificate does not name the host '" + host + "'"));
    }
  }

  /**
   * Whether {@code cert} names {@code host} (as an address's host part writes it: an IPv6 address
   * in brackets) among its DNS names and IP addresses.
   */
  public static boolean namesHost(X509Certificate cert, String host) {
    Collection<List<?>> names;
    try {
      names = cert.getSubjectAlternativeNames();
    } catch (CertificateParsingException e) {
      return false;
    }
    boolean bracketed = host.startsWith("[") && host.endsWith("]");
    String bare = bracketed ? host.substring(1, host.length() - 1) : host;
    boolean ip = InetAddresses.isInetAddress(bare);
    return names != null
        && bracketed == (ip && bare.contains(":"))
        && names.stream()
            .anyMatch(
                n ->
                    n.size() == 2
                        && HOST_NAMES.contains(n.get(0))
                        && sameHost(bare, ip, String.valueOf(n.get(1))));
  }

  /**
   * A host against a certificate's name: IP addresses as addresses (any notation), names as text.
   */
  private static boolean sameHost(String host, boolean ip, String name) {
    if (!ip) {
      return host.equalsIgnoreCase(name);
    }
    return InetAddresses.isInetAddress(name)
        && InetAddresses.forString(host).equals(InetAddresses.forString(name));
  }

  /** The interceptor enforcing these rules on a server with {@code tls}. */
  public ServerInterceptor interceptor(NodeTls tls) {
    Map<String, Set<Role>> rules = Map.copyOf(byMethod);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(
          ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!tls.enabled()) {
          return next.startCall(call, headers);
        }
        String method = call.getMethodDescriptor().getFullMethodName();
        Optional<X509Certificate> cert =
            certificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        Optional<NodeIdentity> who = cert.flatMap(NodeIdentity::of);
        if (who.isEmpty()) {
          return refuse(
              call,
              Status.UNAUTHENTICATED.withDescription(
                  "no client certificate of the cluster CA naming a node"));
        }
        Set<Role> allowed = rules.getOrDefault(method, Set.of());
        if (!allowed.contains(who.get().role())) {
          return refuse(
              call,
              Status.PERMISSION_DENIED.withDescription(
                  who.get() + " may not call " + method + " (allowed: " + allowed + ")"));
        }
        return Contexts.interceptCall(
            Context.current().withValues(CALLER, who.get(), CERTIFICATE, cert.get()),
            call,
            headers,
            next);
      }
    };
  }

  /** The certificate a TLS session's peer presented, if any. */
  public static Optional<X509Certificate> certificate(SSLSession session) {
    if (session == null) {
      return Optional.empty();
    }
    try {
      Certificate[] chain = session.getPeerCertificates();
      return chain.length > 0 && chain[0] instanceof X509Certificate x
          ? Optional.of(x)
          : Optional.empty();
    } catch (SSLPeerUnverifiedException e) {
      return Optional.empty();
    }
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
