#!/usr/bin/python3
"""Load instances with nova's own code, run nova's ImagePropertiesFilter and a
scheduler pass (HostManager + the release's enabled_filters + weighers).

Run with Debian's python3-nova: Zed 26.2.2 as /usr/bin/python3, or 2025.1
(31.0.0) inside the trixie root as test/conformance/in-trixie.sh -- check_nova.py.

    /usr/bin/python3 test/conformance/check_nova.py \\
        --api-url mysql+pymysql://u:p@127.0.0.1:3307/nova_api?charset=utf8 \\
        --cell-url cell1=mysql+pymysql://u:p@127.0.0.1:3307/nova_cell1 \\
        --cell-url cell2=mysql+pymysql://u:p@127.0.0.1:3307/nova_cell2 \\
        UUID [UUID ...]
    /usr/bin/python3 test/conformance/check_nova.py --config nova.conf --all

Prints ONE JSON object on stdout, keyed by instance uuid:
    {"<uuid>": {"loaded": bool, "error": str|null, "deleted": bool,
                "cell": str|null, "passesSpec": bool|null,
                "passesSysmeta": bool|null, "specError": str|null,
                "sysmetaError": str|null,
                "props": {"spec": {...}|null, "sysmeta": {...}|null},
                "hosts": [{"host", "node", "passesSpec", "passesSysmeta"}],
                "schedule": {"spec": PASS|null, "sysmeta": PASS|null}}}
    PASS = {"passes": [host, ...] (nova's weighed order),
            "weighed": [{"host", "node", "weight"}],
            "candidates": [{"host", "node", "passes", "rejectedBy"}],
            "error": str|null, "filters": [...], "weighers": [...],
            "novaVersion": str, "serviceDownTime": int}
"schedule" runs nova's own HostManager (host states of the instance's cell,
services and compute nodes from the cell DB), filter handler and the filter
scheduler's _get_sorted_hosts on the request spec ("spec") and on the spec
nova-conductor builds from the instance when it has none ("sysmeta").
"loaded" is true only when nova loaded both the request spec
(RequestSpec.get_by_instance_uuid) and the instance with its system metadata
(Instance.get_by_uuid); otherwise "error" holds the exception as nova raised
it.  Exit status: 0 all loaded, 3 some instance could not be loaded, 2 bad
usage or no database.  nova's own log output goes to stderr (--verbose for
DEBUG).
"""
import argparse
import json
import logging
import os
import sys
import traceback

FILTER_FIELDS = ('hw_architecture', 'img_hv_type', 'hw_vm_mode',
                 'img_hv_requested_version')
# [DEFAULT] service_down_time for the scheduler pass: 100 years, so the old
# heartbeats in the fixture dumps count as up (ComputeFilter).
SERVICE_DOWN_TIME = 100 * 366 * 24 * 3600


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog='check_nova.py',
        description="Load instances with nova's own objects and run nova's "
                    'ImagePropertiesFilter against KVM hosts of their cell.')
    ap.add_argument('--config', action='append', default=[],
                    help='nova.conf ([api_database]/[database] connection); '
                         'repeatable like --config-file')
    ap.add_argument('--api-url', help='nova_api SQLAlchemy URL')
    ap.add_argument('--cell-url', action='append', default=[],
                    metavar='NAME_OR_UUID=URL',
                    help='database URL for a cell (by cell name or uuid); '
                         'overrides the URL in cell_mappings. Repeatable.')
    ap.add_argument('--all', action='store_true',
                    help='check every instance in nova_api.instance_mappings')
    ap.add_argument('--verbose', action='store_true',
                    help="let nova's DEBUG logging through to stderr")
    ap.add_argument('uuids', nargs='*', metavar='UUID')
    args = ap.parse_args(argv)
    if not args.uuids and not args.all:
        ap.error('give instance UUIDs or --all')
    if not args.config and not args.api_url:
        ap.error('give --api-url or --config')
    overrides = {}
    for c in args.cell_url:
        if '=' not in c:
            ap.error('--cell-url wants NAME_OR_UUID=URL, got %r' % c)
        k, v = c.split('=', 1)
        overrides[k] = v
    args.cell_overrides = overrides
    return args


def setup_nova(args):
    from nova import config
    from nova import objects
    from nova.db.api import api as api_db_api
    from nova.db.main import api as main_db_api
    import nova.conf
    CONF = nova.conf.CONF
    argv = ['check_nova']
    for c in args.config:
        argv += ['--config-file', c]
    # init_rpc registers [DEFAULT]transport_url, which CellMapping formats;
    # nothing connects to a message bus.
    config.parse_args(argv, configure_db=False, init_rpc=True)
    if args.api_url:
        CONF.set_override('connection', args.api_url, group='api_database')
    from urllib import parse as urlparse
    if (not CONF.transport_url or
            urlparse.urlparse(CONF.transport_url).port is None):
        # target_cell() builds (lazily, never connecting) an RPC transport
        # from the cell's transport_url, which may be a template formatted
        # against [DEFAULT]transport_url (whose default is a bare
        # 'rabbit://'): give it a complete one.
        CONF.set_override('transport_url',
                          'fake://nova:unused@localhost:5672/')
    if CONF.database.connection is None and args.cell_overrides:
        # Template cell URLs are formatted against [database]/connection;
        # give it one of the cell URLs so templates resolve to this server.
        CONF.set_override('connection',
                          sorted(args.cell_overrides.items())[0][1],
                          group='database')
    # Fail fast on an unreachable server (oslo.db retries 10 x 10 s by
    # default): a checker must report, not hang.
    for group in ('database', 'api_database'):
        CONF.set_override('max_retries', 0, group=group)
        CONF.set_override('retry_interval', 1, group=group)
    # The scheduler pass (Scheduler.run): the fixture dumps' service
    # heartbeats are old, so every compute would be "down" for ComputeFilter
    # (servicegroup db driver: |now - updated_at| <= service_down_time).
    # nova's own option, set very large, rather than editing rows.
    CONF.set_override('service_down_time', SERVICE_DOWN_TIME)
    # HostManager() would otherwise spawn _async_init_instance_info, which
    # reads EVERY cell through cell_mappings' own URLs (the disabled
    # cell3-retired has no database).  Its cache is only used once a compute
    # has sent update_instance_info ("updated": True), which never happens
    # here: with or without it, HostState.instances comes from the cell DB
    # (HostManager._get_instances_by_host).
    CONF.set_override('track_instance_changes', False,
                      group='filter_scheduler')
    main_db_api.configure(CONF)
    api_db_api.configure(CONF)
    objects.register_all()
    level = logging.DEBUG if args.verbose else logging.WARNING
    logging.getLogger().setLevel(level)
    for name in ('nova', 'oslo_db', 'sqlalchemy'):
        logging.getLogger(name).setLevel(level)


def _exc_text(e):
    return '%s: %s' % (type(e).__name__, e)


def _props_dict(props):
    from oslo_serialization import jsonutils
    if props is None:
        return None
    return {k: jsonutils.to_primitive(getattr(props, k))
            for k in sorted(props.fields) if props.obj_attr_is_set(k)}


def _kvm_host_states(ctx, cell):
    """HostStates (nova.scheduler.host_manager) for the cell's KVM computes."""
    from nova import objects
    from nova.scheduler import host_manager
    nodes = objects.ComputeNodeList.get_all(ctx)
    states = []
    for cn in sorted(nodes, key=lambda n: (n.host, n.hypervisor_hostname)):
        hv_types = {s.hv_type for s in cn.supported_hv_specs}
        if not hv_types & {'kvm', 'qemu'}:
            continue
        hs = host_manager.HostState(cn.host, cn.hypervisor_hostname,
                                    cell.uuid)
        hs.update(compute=cn)
        states.append(hs)
    return states


def _passes(filt, host_states, spec_obj):
    """(all KVM hosts pass, per-host results, error text)."""
    try:
        per = [filt.host_passes(hs, spec_obj) for hs in host_states]
    except Exception as e:  # nova itself could not evaluate this spec
        return None, None, _exc_text(e)
    return (all(per) if per else None), per, None


class Scheduler:
    """nova's own scheduler pieces, built once: HostManager (its filter
    handler with [filter_scheduler] enabled_filters, weighers from
    weight_classes, aggregates from nova_api) and the filter scheduler's
    _get_sorted_hosts.  No RPC, no Placement: the candidates are every
    compute node of the cell, as get_host_states_by_uuids(compute_uuids=None)
    gives them (what nova does when Placement returns no provider summaries).
    """

    def __init__(self, ctx, cells_by_key):
        from nova import context as nova_context
        from nova import objects
        from nova import version
        from nova.scheduler import host_manager
        from nova.scheduler import manager as sched_manager
        import nova.conf
        CONF = nova.conf.CONF
        # target_cell() caches each cell's DB engine by cell uuid; nova's
        # scheduler code later targets CellMappings read back from nova_api
        # (HostMapping.cell_mapping, HostManager.cells): make the cache hold
        # the overridden URL first.
        for cm in objects.CellMappingList.get_all(ctx):
            override = cells_by_key.get(cm.name) or cells_by_key.get(cm.uuid)
            if override:
                cm.database_connection = override
                with nova_context.target_cell(ctx, cm):
                    pass
        self.host_manager = host_manager.HostManager()
        for cm in list(self.host_manager.cells.values()):
            override = cells_by_key.get(cm.name) or cells_by_key.get(cm.uuid)
            if override:
                cm.database_connection = override
        self.sorted_hosts = sched_manager.SchedulerManager._get_sorted_hosts
        self.config = dict(
            novaVersion=version.version_string(),
            filters=[type(f).__name__
                     for f in self.host_manager.enabled_filters],
            weighers=sorted(type(w).__name__
                            for w in self.host_manager.weighers),
            serviceDownTime=CONF.service_down_time)

    def run(self, ctx, spec, cm):
        """One scheduler pass of `spec` in cell `cm`, as nova-conductor asks
        for a move (MigrationTask: reset_forced_destinations,
        requested_destination = Destination(cell=<the instance's cell>),
        requested_resources [] when unset) but without ignore_hosts, so the
        instance's current host is a candidate like the others."""
        from nova import objects
        import types
        out = dict(self.config, candidates=[], passes=[], weighed=[],
                   error=None)
        try:
            spec = spec.obj_clone()
            spec.reset_forced_destinations()
            spec.requested_destination = objects.Destination(cell=cm)
            if (not spec.obj_attr_is_set('requested_resources') or
                    spec.requested_resources is None):
                spec.requested_resources = []
            hm = self.host_manager
            # nova yields them from a set (hash-seed order): sort, so ties
            # among the weighed hosts come out the same on every run.
            states = sorted(hm.get_host_states_by_uuids(ctx, None, spec),
                            key=lambda h: (h.host, h.nodename))
            for hs in states:
                # which filter of the chain removes this host, alone
                rejected_by = None
                for filt in hm.enabled_filters:
                    if not list(filt.filter_all([hs], spec) or []):
                        rejected_by = type(filt).__name__
                        break
                out['candidates'].append(dict(
                    host=hs.host, node=hs.nodename,
                    passes=rejected_by is None, rejectedBy=rejected_by))
            # the whole chain at once, as nova runs it
            # (the filter scheduler's _get_sorted_hosts: get_filtered_hosts,
            # get_weighed_hosts, host_subset_size; it only uses
            # self.host_manager)
            fake_self = types.SimpleNamespace(host_manager=hm)
            ordered = self.sorted_hosts(fake_self, spec, states, 0)
            # the weights nova gave them (normalised over the same hosts)
            weights = {(w.obj.host, w.obj.nodename): w.weight
                       for w in hm.get_weighed_hosts(ordered, spec)} \
                if ordered else {}
            out['passes'] = [h.host for h in ordered]
            out['weighed'] = [dict(host=h.host, node=h.nodename,
                                   weight=weights.get((h.host, h.nodename)))
                              for h in ordered]
        except Exception as e:  # nova could not schedule this spec at all
            if os.environ.get('CHECK_NOVA_TRACEBACK'):
                traceback.print_exc(file=sys.stderr)
            out['error'] = _exc_text(e)
        return out


def _spec_from_instance(cctx, instance):
    """The RequestSpec nova-conductor makes when a cold migrate has none:
    ComputeTaskManager._get_request_spec_for_cold_migrate(request_spec=None)
    (image from system metadata, the instance's flavor, AZ, NUMA, PCI)."""
    from nova.conductor import manager as conductor_manager
    return conductor_manager.ComputeTaskManager.\
        _get_request_spec_for_cold_migrate(
            cctx, instance, instance.flavor, {}, None)


def check_one(ctx, uuid, cells_by_key, host_cache, scheduler):
    from nova import context as nova_context
    from nova import exception
    from nova import objects
    from nova.scheduler.filters import image_props_filter

    r = dict(loaded=False, error=None, deleted=False, cell=None,
             passesSpec=None, passesSysmeta=None, specError=None,
             sysmetaError=None, props=dict(spec=None, sysmeta=None),
             hosts=[], schedule=dict(spec=None, sysmeta=None))
    errors = []
    try:
        im = objects.InstanceMapping.get_by_instance_uuid(ctx, uuid)
    except Exception as e:
        r['error'] = _exc_text(e)
        return r
    cm = im.cell_mapping
    if cm is None:
        r['error'] = ('InstanceMappingHasNoCell: instance mapping %s has no '
                      'cell (still building or failed before scheduling)'
                      % uuid)
    else:
        r['cell'] = cm.name
        override = cells_by_key.get(cm.name) or cells_by_key.get(cm.uuid)
        if override:
            cm.database_connection = override

    spec = None
    try:
        spec = objects.RequestSpec.get_by_instance_uuid(ctx, uuid)
        r['props']['spec'] = _props_dict(
            spec.image.properties if spec.image and
            spec.image.obj_attr_is_set('properties') else None)
        if spec.image is None:
            r['specImage'] = None
        elif not spec.image.obj_attr_is_set('properties'):
            r['specImage'] = 'no-properties'
    except Exception as e:
        errors.append(_exc_text(e))

    instance = None
    sys_meta_error = None
    sys_sched_spec = None
    if cm is not None:
        try:
            with nova_context.target_cell(ctx, cm) as cctx:
                cctx.read_deleted = 'yes'
                instance = objects.Instance.get_by_uuid(
                    cctx, uuid, expected_attrs=['system_metadata'])
                r['deleted'] = bool(instance.deleted)
                try:
                    image_meta = objects.ImageMeta.from_instance(instance)
                    r['props']['sysmeta'] = _props_dict(image_meta.properties)
                except ValueError as e:
                    # nova cannot build the image properties from this
                    # system metadata (e.g. a hypervisor type HVType cannot
                    # canonicalise): the instance loads, its image does not
                    sys_meta_error = _exc_text(e)
                if not cm.is_cell0():
                    # nova-conductor's own spec for an instance without one
                    # (a cold migrate with no RequestSpec): built from the
                    # instance and its system metadata, then scheduled.
                    try:
                        sys_sched_spec = _spec_from_instance(
                            cctx, instance)
                    except Exception as e:
                        r['schedule']['sysmeta'] = dict(
                            scheduler.config, candidates=[], passes=[],
                            weighed=[], error=_exc_text(e))
                if cm.uuid not in host_cache:
                    cctx.read_deleted = 'no'
                    host_cache[cm.uuid] = _kvm_host_states(cctx, cm)
        except Exception as e:
            if os.environ.get('CHECK_NOVA_TRACEBACK'):
                traceback.print_exc(file=sys.stderr)
            errors.append(_exc_text(e))

    if errors:
        r['error'] = '; '.join(([r['error']] if r['error'] else []) + errors)
    r['loaded'] = spec is not None and instance is not None

    host_states = host_cache.get(cm.uuid, []) if cm is not None else []
    filt = image_props_filter.ImagePropertiesFilter()
    if spec is not None and host_states:
        r['passesSpec'], per_spec, r['specError'] = _passes(
            filt, host_states, spec)
    else:
        per_spec = None
    per_sys = None
    if sys_meta_error is not None:
        r['sysmetaError'] = sys_meta_error
    elif instance is not None and host_states:
        sys_spec = objects.RequestSpec(
            image=objects.ImageMeta.from_instance(instance))
        r['passesSysmeta'], per_sys, r['sysmetaError'] = _passes(
            filt, host_states, sys_spec)
    if cm is not None and not cm.is_cell0():
        if spec is not None:
            r['schedule']['spec'] = scheduler.run(ctx, spec, cm)
        if sys_sched_spec is not None:
            r['schedule']['sysmeta'] = scheduler.run(ctx, sys_sched_spec, cm)
    for n, hs in enumerate(host_states):
        r['hosts'].append(dict(
            host=hs.host, node=hs.nodename,
            supportedInstances=hs.supported_instances,
            hypervisorVersion=hs.hypervisor_version,
            passesSpec=per_spec[n] if per_spec else None,
            passesSysmeta=per_sys[n] if per_sys else None))
    return r


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        setup_nova(args)
        from nova import context as nova_context
        from nova import objects
        ctx = nova_context.get_admin_context()
        uuids = list(args.uuids)
        if args.all:
            from nova.db.api import api as api_db_api
            from nova.db.api import models as api_models
            with api_db_api.context_manager.reader.using(ctx) as session:
                rows = session.query(api_models.InstanceMapping.instance_uuid)\
                    .order_by(api_models.InstanceMapping.id).all()
            uuids += [row[0] for row in rows if row[0] not in uuids]
    except Exception as e:
        print('check_nova.py: cannot start: %s' % _exc_text(e),
              file=sys.stderr)
        return 2
    try:
        scheduler = Scheduler(ctx, args.cell_overrides)
    except Exception as e:
        traceback.print_exc(file=sys.stderr)
        print("check_nova.py: cannot build nova's scheduler: %s"
              % _exc_text(e), file=sys.stderr)
        return 2
    out = {}
    host_cache = {}
    for uuid in uuids:
        try:
            out[uuid] = check_one(ctx, uuid, args.cell_overrides, host_cache,
                                  scheduler)
        except Exception as e:
            traceback.print_exc(file=sys.stderr)
            out[uuid] = dict(loaded=False, error=_exc_text(e))
    json.dump(out, sys.stdout, indent=2, sort_keys=True, ensure_ascii=False)
    sys.stdout.write('\n')
    return 0 if all(v.get('loaded') for v in out.values()) else 3


if __name__ == '__main__':
    sys.exit(main())
